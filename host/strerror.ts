// strerror() texts for the errors opening a file or binding a socket commonly fail with, so
// that messages read as memcached's do.
const STRERROR: Record<string, string> = {
  ENOENT: "No such file or directory",
  EACCES: "Permission denied",
  EISDIR: "Is a directory",
  ENOTDIR: "Not a directory",
  EADDRINUSE: "Address already in use",
  EADDRNOTAVAIL: "Cannot assign requested address",
};

export function strerror(err: unknown): string {
  return STRERROR[(err as NodeJS.ErrnoException).code ?? ""] ?? (err as Error).message;
}

/** A listener that could not be set up; the message is memcached's, ready for stderr. */
export class ListenError extends Error {}
