// The Debian kernels mmspec boots under QEMU, by name: a module of its own so that naming them
// (help text, --impl qemu:NAME) loads nothing of fetching them.
export type KernelName = 'debian-6.1' | 'debian-6.12' | 'debian-sid';

export interface KernelSource {
  /** Meta packages that may depend on the kernel's linux-image-<release> package, tried in order. */
  metaPackages: string[];
  /** The release (`uname -r`) must start with this; '' takes any. */
  releasePrefix: string;
  /** null: the machine's own apt sources; a Debian suite (sid): a private apt state for that suite. */
  suite: string | null;
}

/** Per kernel name: where its packages come from and which releases belong to it. */
export const KERNELS: Record<KernelName, KernelSource> = {
  'debian-6.1': { metaPackages: ['linux-image-amd64', 'linux-image-6.1-amd64'], releasePrefix: '6.1.', suite: null },
  'debian-6.12': { metaPackages: ['linux-image-6.12-amd64', 'linux-image-amd64'], releasePrefix: '6.12.', suite: null },
  'debian-sid': { metaPackages: ['linux-image-amd64'], releasePrefix: '', suite: 'sid' },
};

export function isKernelName(s: string): s is KernelName {
  return Object.prototype.hasOwnProperty.call(KERNELS, s);
}
