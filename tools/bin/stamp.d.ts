// Types of stamp.js (plain JavaScript: it runs before anything is compiled), for the suites.
export declare const DIST: string;
export declare const STAMP: string;
/** The sources dist/ is built from, one line each: path, size, mtime (ms). */
export declare function fingerprint(root: string): string;
/** null when root/dist is a complete build of the sources as they are now; else why not. */
export declare function staleness(root: string): string | null;
