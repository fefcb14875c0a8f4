/**
 * The disk spool of a CDR sender (`cdr.spoolDir`): one file per CDR, named
 * `<wall ms, 15 digits>-<sequence, 8 digits>.cdr` so the names sort in spool order, holding the CDR
 * text and a newline. A file is written as `.tmp-<name>`, fsynced (`cdr.spoolFsync`) and renamed,
 * so a crash never leaves half a CDR under a spool name; leftover `.tmp-` files are removed at
 * start. At start every file is read back and checked with the CDR codec: one that does not
 * decode (hand-edited, damaged disk) is renamed `<name>.bad`, counted in `cdr:spool_corrupt` and
 * logged — skipped, never a crash, never sent. The index (names, sizes, texts) is kept in memory,
 * bounded by `spoolMaxBytes` like the files.
 */
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Counter, CounterFactory } from '../lib/counter.ts';
import { SpoolIndex, type CdrSpool, type SpoolAppend, type SpoolStatus, type SpoolEntry } from '../features/cdr/index.ts';

const NAME = /^(\d{15})-(\d{8})\.cdr$/;
const TMP_PREFIX = '.tmp-';
/** A spool file larger than this cannot be a CDR (texts are bounded far below). */
const MAX_FILE_BYTES = 64 * 1024;

export interface DiskSpoolOptions {
  readonly dir: string;
  readonly maxBytes: number;
  readonly fsync: boolean;
  readonly counters: CounterFactory;
  readonly wallMs: () => number;
  /** Why a spooled text is unusable, or undefined when it decodes (the CDR codec). */
  readonly check: (text: string) => string | undefined;
  readonly log: { warn(msg: string, fields?: Record<string, unknown>): void };
}

export class DiskSpool implements CdrSpool {
  private readonly index: SpoolIndex;
  private readonly corrupt: Counter;
  private seq = 0;
  /** Bytes of appends still being written: they count against the bound already. */
  private reserved = 0;

  private constructor(private readonly opts: DiskSpoolOptions) {
    this.index = new SpoolIndex(opts.maxBytes);
    this.corrupt = opts.counters.counter('cdr:spool_corrupt', 'spool files that did not hold a valid CDR (renamed .bad and skipped)');
  }

  /** Opens (creating) the folder and loads what a previous run left in it. */
  static async open(opts: DiskSpoolOptions): Promise<DiskSpool> {
    const s = new DiskSpool(opts);
    await mkdir(opts.dir, { recursive: true });
    await s.load();
    return s;
  }

  private async load(): Promise<void> {
    const names = (await readdir(this.opts.dir)).sort();
    for (const name of names) {
      const path = join(this.opts.dir, name);
      if (name.startsWith(TMP_PREFIX)) {
        await unlink(path).catch(() => {});
        continue;
      }
      const m = NAME.exec(name);
      if (m === null) continue;
      let problem: string | undefined;
      let text = '';
      let bytes = 0;
      try {
        const buf = await readFile(path);
        bytes = buf.length;
        if (bytes > MAX_FILE_BYTES) problem = `${bytes} bytes`;
        else if (buf[bytes - 1] !== 0x0a) problem = 'no final newline (incomplete)';
        else {
          text = buf.subarray(0, bytes - 1).toString('utf8');
          problem = this.opts.check(text);
        }
      } catch (e) {
        problem = `unreadable: ${String(e)}`;
      }
      if (problem !== undefined) {
        this.corrupt.inc();
        this.opts.log.warn('corrupt CDR spool file skipped (renamed .bad)', { file: path, problem });
        await rename(path, `${path}.bad`).catch(() => {});
        continue;
      }
      this.index.add({ id: name, text, bytes, wallMs: Number(m[1]) });
    }
  }

  async append(text: string): Promise<SpoolAppend> {
    const bytes = SpoolIndex.bytesOf(text);
    if (!this.index.fits(bytes + this.reserved)) {
      const s = this.status();
      return { ok: false, code: 'FEATURE_CDR_SPOOL_FULL', message: `spool ${this.opts.dir} holds ${s.bytes} of ${s.maxBytes} bytes` };
    }
    const wallMs = Math.floor(this.opts.wallMs());
    let name: string;
    do {
      this.seq = (this.seq + 1) % 100_000_000;
      name = `${String(wallMs).padStart(15, '0')}-${String(this.seq).padStart(8, '0')}.cdr`;
    } while (this.index.has(name));
    const path = join(this.opts.dir, name);
    const tmp = join(this.opts.dir, TMP_PREFIX + name);
    this.reserved += bytes;
    try {
      const fh = await open(tmp, 'wx');
      try {
        await fh.writeFile(`${text}\n`, 'utf8');
        if (this.opts.fsync) await fh.datasync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
    } catch (e) {
      await unlink(tmp).catch(() => {});
      return { ok: false, code: 'FEATURE_CDR_SPOOL_IO', message: `cannot write ${path}: ${(e as Error).message}` };
    } finally {
      this.reserved -= bytes;
    }
    const entry: SpoolEntry = { id: name, text, bytes, wallMs };
    this.index.add(entry);
    return { ok: true, entry };
  }

  async remove(id: string): Promise<void> {
    if (!this.index.delete(id)) return;
    try {
      await unlink(join(this.opts.dir, id));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  pending(): Iterable<SpoolEntry> {
    return this.index.values();
  }

  status(): SpoolStatus {
    return this.index.status();
  }
}
