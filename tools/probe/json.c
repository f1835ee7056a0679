/* json.c - see json.h. */
#define _GNU_SOURCE
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 64

/* ---- arena ---- */

struct jchunk {
  jchunk *next;
  size_t cap, used;
  char mem[];
};

void jarena_init(jarena *a, char *block, size_t cap, int may_grow) {
  a->base = block;
  a->cap = cap;
  a->used = 0;
  a->may_grow = may_grow;
  a->extra = NULL;
}

void jarena_reset(jarena *a) {
  while (a->extra) {
    jchunk *c = a->extra;
    a->extra = c->next;
    free(c);
  }
  a->used = 0;
}

void *jarena_alloc(jarena *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  if (n <= a->cap - a->used) {
    void *p = a->base + a->used;
    a->used += n;
    return p;
  }
  if (!a->may_grow) return NULL;
  if (a->extra && n <= a->extra->cap - a->extra->used) {
    void *p = a->extra->mem + a->extra->used;
    a->extra->used += n;
    return p;
  }
  size_t cap = n > 65536 ? n : 65536;
  jchunk *c = malloc(sizeof *c + cap);
  if (!c) return NULL;
  c->cap = cap;
  c->used = n;
  c->next = a->extra;
  a->extra = c;
  return c->mem;
}

/* ---- parser ---- */

typedef struct {
  jarena *a;
  const char *p, *end;
  char *err;
  size_t errlen;
  int failed;
} jparser;

static void perr(jparser *ps, const char *msg) {
  if (ps->failed) return;
  ps->failed = 1;
  if (ps->err && ps->errlen) snprintf(ps->err, ps->errlen, "%s", msg);
}

static void skip_ws(jparser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) ps->p++;
}

static jval *newval(jparser *ps, jtype t) {
  jval *v = jarena_alloc(ps->a, sizeof *v);
  if (!v) {
    perr(ps, "request too large");
    return NULL;
  }
  memset(v, 0, sizeof *v);
  v->t = t;
  return v;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int read_hex4(jparser *ps, unsigned *out) {
  if (ps->end - ps->p < 4) return -1;
  unsigned v = 0;
  for (int k = 0; k < 4; k++) {
    int h = hexval(ps->p[k]);
    if (h < 0) return -1;
    v = v * 16 + (unsigned)h;
  }
  ps->p += 4;
  *out = v;
  return 0;
}

static size_t put_utf8(char *o, unsigned cp) {
  if (cp < 0x80) {
    o[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (char)(0xC0 | (cp >> 6));
    o[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | (cp >> 12));
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | (cp >> 18));
  o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* At the opening quote. Decoded text never exceeds the raw length. */
static int parse_string(jparser *ps, const char **out, size_t *outlen) {
  ps->p++; /* opening quote */
  const char *q = ps->p;
  while (q < ps->end && *q != '"') q += (*q == '\\' && q + 1 < ps->end) ? 2 : 1;
  if (q >= ps->end) {
    perr(ps, "unterminated string");
    return -1;
  }
  char *o = jarena_alloc(ps->a, (size_t)(q - ps->p) + 1);
  if (!o) {
    perr(ps, "request too large");
    return -1;
  }
  size_t n = 0;
  while (ps->p < ps->end && *ps->p != '"') {
    unsigned char c = (unsigned char)*ps->p++;
    if (c < 0x20) {
      perr(ps, "control character in string");
      return -1;
    }
    if (c != '\\') {
      o[n++] = (char)c;
      continue;
    }
    if (ps->p >= ps->end) break;
    char e = *ps->p++;
    switch (e) {
      case '"': o[n++] = '"'; break;
      case '\\': o[n++] = '\\'; break;
      case '/': o[n++] = '/'; break;
      case 'b': o[n++] = '\b'; break;
      case 'f': o[n++] = '\f'; break;
      case 'n': o[n++] = '\n'; break;
      case 'r': o[n++] = '\r'; break;
      case 't': o[n++] = '\t'; break;
      case 'u': {
        unsigned cp;
        if (read_hex4(ps, &cp)) {
          perr(ps, "bad \\u escape");
          return -1;
        }
        if (cp >= 0xD800 && cp <= 0xDBFF && ps->end - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u') {
          const char *save = ps->p;
          unsigned lo;
          ps->p += 2;
          if (!read_hex4(ps, &lo) && lo >= 0xDC00 && lo <= 0xDFFF)
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          else
            ps->p = save;
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD; /* lone surrogate */
        n += put_utf8(o + n, cp);                      /* 6 raw chars >= 4 bytes */
        break;
      }
      default: perr(ps, "bad escape in string"); return -1;
    }
  }
  if (ps->p >= ps->end) {
    perr(ps, "unterminated string");
    return -1;
  }
  ps->p++; /* closing quote */
  o[n] = 0;
  *out = o;
  *outlen = n;
  return 0;
}

static jval *parse_number(jparser *ps) {
  const char *s = ps->p;
  const char *q = s;
  if (q < ps->end && *q == '-') q++;
  if (q >= ps->end || *q < '0' || *q > '9') {
    perr(ps, "bad number");
    return NULL;
  }
  if (*q == '0' && q + 1 < ps->end && q[1] >= '0' && q[1] <= '9') {
    perr(ps, "leading zero in number");
    return NULL;
  }
  while (q < ps->end && *q >= '0' && *q <= '9') q++;
  int integral = 1;
  if (q < ps->end && *q == '.') {
    integral = 0;
    q++;
    if (q >= ps->end || *q < '0' || *q > '9') {
      perr(ps, "bad number");
      return NULL;
    }
    while (q < ps->end && *q >= '0' && *q <= '9') q++;
  }
  if (q < ps->end && (*q == 'e' || *q == 'E')) {
    integral = 0;
    q++;
    if (q < ps->end && (*q == '+' || *q == '-')) q++;
    if (q >= ps->end || *q < '0' || *q > '9') {
      perr(ps, "bad number");
      return NULL;
    }
    while (q < ps->end && *q >= '0' && *q <= '9') q++;
  }
  char tmp[64];
  size_t len = (size_t)(q - s);
  jval *v = newval(ps, J_NUM);
  if (!v) return NULL;
  if (len < sizeof tmp) {
    memcpy(tmp, s, len);
    tmp[len] = 0;
    v->d = strtod(tmp, NULL);
    if (integral) {
      errno = 0;
      long long i = strtoll(tmp, NULL, 10);
      if (!errno) {
        v->is_int = 1;
        v->i = i;
      }
    }
  } else {
    v->d = s[0] == '-' ? -HUGE_VAL : HUGE_VAL; /* absurdly long: treat as out of range */
  }
  /* 16384.0 or 1e3 are integers too, when exactly representable */
  if (!v->is_int && isfinite(v->d) && v->d > -9007199254740992.0 && v->d < 9007199254740992.0 &&
      (double)(long long)v->d == v->d) {
    v->is_int = 1;
    v->i = (long long)v->d;
  }
  ps->p = q;
  return v;
}

static int match_word(jparser *ps, const char *w) {
  size_t n = strlen(w);
  if ((size_t)(ps->end - ps->p) >= n && !memcmp(ps->p, w, n)) {
    ps->p += n;
    return 1;
  }
  return 0;
}

static jval *parse_value(jparser *ps, int depth) {
  skip_ws(ps);
  if (ps->p >= ps->end) {
    perr(ps, "unexpected end of input");
    return NULL;
  }
  if (depth > JSON_MAX_DEPTH) {
    perr(ps, "nesting too deep");
    return NULL;
  }
  char c = *ps->p;
  if (c == '{' || c == '[') {
    int obj = c == '{';
    char close = obj ? '}' : ']';
    jval *v = newval(ps, obj ? J_OBJ : J_ARR);
    if (!v) return NULL;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
      ps->p++;
      return v;
    }
    jval **tail = &v->child;
    for (;;) {
      const char *key = NULL;
      size_t klen = 0;
      if (obj) {
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != '"') {
          perr(ps, "expected a string key");
          return NULL;
        }
        if (parse_string(ps, &key, &klen)) return NULL;
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != ':') {
          perr(ps, "expected ':'");
          return NULL;
        }
        ps->p++;
      }
      jval *m = parse_value(ps, depth + 1);
      if (!m) return NULL;
      m->key = key;
      *tail = m;
      tail = &m->next;
      v->n++;
      skip_ws(ps);
      if (ps->p < ps->end && *ps->p == ',') {
        ps->p++;
        continue;
      }
      if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return v;
      }
      perr(ps, obj ? "expected ',' or '}'" : "expected ',' or ']'");
      return NULL;
    }
  }
  if (c == '"') {
    jval *v = newval(ps, J_STR);
    if (!v) return NULL;
    if (parse_string(ps, &v->s, &v->slen)) return NULL;
    return v;
  }
  if (c == '-' || (c >= '0' && c <= '9')) return parse_number(ps);
  if (match_word(ps, "true")) {
    jval *v = newval(ps, J_BOOL);
    if (v) v->b = 1;
    return v;
  }
  if (match_word(ps, "false")) return newval(ps, J_BOOL);
  if (match_word(ps, "null")) return newval(ps, J_NULL);
  perr(ps, "unexpected character");
  return NULL;
}

jval *json_parse(jarena *a, const char *text, size_t len, char *err, size_t errlen) {
  jparser ps = {a, text, text + len, err, errlen, 0};
  jval *v = parse_value(&ps, 0);
  if (!v) return NULL;
  skip_ws(&ps);
  if (ps.p != ps.end) {
    perr(&ps, "trailing characters after the value");
    return NULL;
  }
  return v;
}

const jval *json_get(const jval *obj, const char *key) {
  if (!obj || obj->t != J_OBJ) return NULL;
  const jval *found = NULL;
  for (const jval *m = obj->child; m; m = m->next)
    if (!strcmp(m->key, key)) found = m; /* the last duplicate wins, as in JS */
  return found;
}

const char *json_str(const jval *obj, const char *key) {
  const jval *v = json_get(obj, key);
  return v && v->t == J_STR ? v->s : NULL;
}

/* ---- writer ---- */

void sb_init_fixed(sbuf *b, char *mem, size_t cap) {
  b->p = mem;
  b->cap = cap;
  b->len = 0;
  b->fixed = 1;
  b->oflow = 0;
  if (cap) mem[0] = 0;
}

void sb_free(sbuf *b) {
  if (!b->fixed) free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}

void sb_reset(sbuf *b) {
  b->len = 0;
  b->oflow = 0;
  if (b->p) b->p[0] = 0;
}

static int sb_reserve(sbuf *b, size_t n) {
  if (b->len + n + 1 <= b->cap) return 1;
  if (b->fixed) {
    b->oflow = 1;
    return 0;
  }
  size_t cap = b->cap ? b->cap : 256;
  while (b->len + n + 1 > cap) cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) {
    b->oflow = 1;
    return 0;
  }
  b->p = p;
  b->cap = cap;
  return 1;
}

void sb_putn(sbuf *b, const char *s, size_t n) {
  if (!sb_reserve(b, n)) return;
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}

void sb_putc(sbuf *b, char c) { sb_putn(b, &c, 1); }

void sb_puts(sbuf *b, const char *s) { sb_putn(b, s, strlen(s)); }

void sb_printf(sbuf *b, const char *fmt, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof tmp) {
    sb_putn(b, tmp, (size_t)n);
    return;
  }
  if (!sb_reserve(b, (size_t)n)) return;
  va_start(ap, fmt);
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  size_t len;
  unsigned min;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) len = 2, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF) len = 3, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4) len = 4, min = 0x10000;
  else return 0;
  if (n < len) return 0;
  unsigned cp = c & (0xFF >> (len + 1));
  for (size_t k = 1; k < len; k++) {
    if ((s[k] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[k] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

void sb_jstr(sbuf *b, const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  sb_putc(b, '"');
  size_t i = 0;
  while (i < n) {
    unsigned char c = u[i];
    if (c == '"' || c == '\\') {
      sb_putc(b, '\\');
      sb_putc(b, (char)c);
      i++;
    } else if (c == '\n') {
      sb_puts(b, "\\n"), i++;
    } else if (c == '\t') {
      sb_puts(b, "\\t"), i++;
    } else if (c == '\r') {
      sb_puts(b, "\\r"), i++;
    } else if (c < 0x20 || c == 0x7F) {
      sb_printf(b, "\\u%04x", c), i++;
    } else if (c < 0x80) {
      sb_putc(b, (char)c), i++;
    } else {
      size_t k = utf8_seq(u + i, n - i);
      if (k) {
        sb_putn(b, s + i, k);
        i += k;
      } else {
        sb_puts(b, "\\ufffd");
        i++;
      }
    }
  }
  sb_putc(b, '"');
}

void sb_jstrz(sbuf *b, const char *s) { sb_jstr(b, s, strlen(s)); }

void json_write(sbuf *b, const jval *v) {
  switch (v->t) {
    case J_NULL: sb_puts(b, "null"); break;
    case J_BOOL: sb_puts(b, v->b ? "true" : "false"); break;
    case J_NUM:
      if (v->is_int) sb_printf(b, "%lld", v->i);
      else if (isfinite(v->d)) sb_printf(b, "%.17g", v->d);
      else sb_puts(b, "null");
      break;
    case J_STR: sb_jstr(b, v->s, v->slen); break;
    case J_ARR:
    case J_OBJ: {
      int obj = v->t == J_OBJ;
      sb_putc(b, obj ? '{' : '[');
      for (const jval *m = v->child; m; m = m->next) {
        if (m != v->child) sb_putc(b, ',');
        if (obj) {
          sb_jstrz(b, m->key);
          sb_putc(b, ':');
        }
        json_write(b, m);
      }
      sb_putc(b, obj ? '}' : ']');
      break;
    }
  }
}
