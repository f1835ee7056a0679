// A guest is disposable: a session that asks for a disposable machine gets a boot of its own,
// and a session the probe turns away as polluted (what earlier sessions left) is opened again
// in a fresh boot. The guest here is a stand-in transport playing the probe's part, so the
// rules are checked without QEMU; each start() is one boot.
import { describe, expect, it } from 'vitest';
import type { LineTransport } from '../../tools/impl/rpc.ts';
import { GuestImplementation } from '../../tools/qemu/kernels.ts';

/** A pretend guest: it is polluted once a session with {leak: true} ran in this boot. */
class FakeGuest implements LineTransport {
  boots = 0;
  /** Polluted from boot on (what no reboot clears). */
  constructor(private readonly always = false) {}
  private polluted = false;
  private sessions = 0;
  private onLine: (line: string) => void = () => {};

  async start(onLine: (line: string) => void): Promise<void> {
    this.boots++;
    this.polluted = this.always;
    this.onLine = onLine;
  }

  send(line: string): void {
    const { id, method, params } = JSON.parse(line) as { id: number; method: string; params: { config?: Record<string, unknown> } };
    let result: unknown = {};
    if (method === 'hello') {
      result = { protocol: 1, implementation: { name: 'fake-guest', version: '1', mechanisms: ['m'], layers: ['abi'], kernel: '6.12.0' } };
    } else if (method === 'open') {
      if (this.polluted) result = { skip: 'an earlier session leaked', polluted: true };
      else {
        if (params.config?.leak) this.polluted = true;
        result = { session: `s${++this.sessions}` };
      }
    }
    queueMicrotask(() => this.onLine(JSON.stringify({ jsonrpc: '2.0', id, result })));
  }

  diagnostics(): string {
    return '';
  }

  async stop(): Promise<void> {}

  async dispose(): Promise<void> {}
}

const open = (g: GuestImplementation, config: Record<string, unknown>) => g.open({ mechanism: 'm', config });

describe('a QEMU guest', () => {
  it('reopens a session turned away as polluted in a fresh boot, once', async () => {
    const fake = new FakeGuest();
    const g = new GuestImplementation(fake, 'qemu:fake', 1000, null);
    expect(await open(g, {})).toHaveProperty('session');
    expect(await open(g, { leak: true })).toHaveProperty('session');
    expect(fake.boots).toBe(1);
    // The next session meets the leak: the guest boots again and the session opens there.
    expect(await open(g, {})).toHaveProperty('session');
    expect(fake.boots).toBe(2);
  });

  it('reports a polluted skip from a fresh boot as it is: another boot would not help', async () => {
    const fake = new FakeGuest(true);
    const g = new GuestImplementation(fake, 'qemu:fake', 1000, null);
    expect(await open(g, {})).toEqual({ skip: 'an earlier session leaked', polluted: true });
    expect(fake.boots).toBe(1);
  });

  it('gives a disposable session a boot of its own, before and after it', async () => {
    const fake = new FakeGuest();
    const g = new GuestImplementation(fake, 'qemu:fake', 1000, null);
    expect(await open(g, {})).toHaveProperty('session');
    expect(await open(g, { needs_disposable_machine: true })).toHaveProperty('session');
    expect(fake.boots).toBe(2); // booted afresh for it
    expect(await open(g, {})).toHaveProperty('session');
    expect(fake.boots).toBe(3); // and nothing after it shares its boot
    expect(await open(g, {})).toHaveProperty('session');
    expect(fake.boots).toBe(3);
  });

  it('runs a disposable session first in a boot without booting again', async () => {
    const fake = new FakeGuest();
    const g = new GuestImplementation(fake, 'qemu:fake', 1000, null);
    expect(await open(g, { needs_disposable_machine: true })).toHaveProperty('session');
    expect(fake.boots).toBe(1);
  });
});
