/* json.h - a tiny JSON parser and writer for the mmspec probe (no external library).
 *
 * Parsed values live in an arena that is reset per request. Objects and
 * arrays keep their members as a linked list (child/next); object members
 * carry their key. Numbers keep an exact int64 when the text is integral.
 */
#ifndef MMSPEC_JSON_H
#define MMSPEC_JSON_H

#include <stddef.h>

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jval jval;
struct jval {
  jtype t;
  int b;              /* J_BOOL */
  int is_int;         /* J_NUM: i holds the exact value */
  long long i;
  double d;           /* J_NUM: always set */
  const char *s;      /* J_STR: NUL-terminated (may contain NULs, see slen) */
  size_t slen;
  size_t n;           /* J_ARR/J_OBJ: number of members */
  jval *child, *next; /* J_ARR/J_OBJ: first member; sibling link */
  const char *key;    /* member of a J_OBJ: its key */
};

/* Arena: a fixed block, plus malloc'ed chunks when may_grow is set. */
typedef struct jchunk jchunk;
typedef struct {
  char *base;
  size_t cap, used;
  int may_grow;
  jchunk *extra;
} jarena;

void jarena_init(jarena *a, char *block, size_t cap, int may_grow);
void jarena_reset(jarena *a);
void *jarena_alloc(jarena *a, size_t n);

/* Parses text[0..len). Returns NULL and fills err on failure. */
jval *json_parse(jarena *a, const char *text, size_t len, char *err, size_t errlen);

/* Lookups; NULL when absent or of another type. */
const jval *json_get(const jval *obj, const char *key);
const char *json_str(const jval *obj, const char *key);

/* A string buffer: grows with realloc unless fixed; a fixed buffer that
 * overflows sets oflow and truncates. */
typedef struct {
  char *p;
  size_t len, cap;
  int fixed, oflow;
} sbuf;

void sb_init_fixed(sbuf *b, char *mem, size_t cap);
void sb_free(sbuf *b);
void sb_reset(sbuf *b);
void sb_putc(sbuf *b, char c);
void sb_putn(sbuf *b, const char *s, size_t n);
void sb_puts(sbuf *b, const char *s);
void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes a quoted JSON string. Valid UTF-8 passes through; a byte that is
 * not part of a valid UTF-8 sequence becomes U+FFFD, so the output is
 * always valid UTF-8 JSON. */
void sb_jstr(sbuf *b, const char *s, size_t n);
void sb_jstrz(sbuf *b, const char *s);
/* Serialises a parsed value compactly. */
void json_write(sbuf *b, const jval *v);

#endif
