// The saved cache image (-e, host/restart/): what both sides agree on. Plain TypeScript,
// imported by the core and the host.

// Bumped whenever what an image holds, or where, changes: the layout, the item header, a
// record the image carries. An image of another format is refused, never adopted.
export const IMAGE_FORMAT = 1;

// The image's sections, in file order (restart/image.ts draws them).
export enum ImageSection { GLOBALS = 0, CLASSES = 1, PAGEMAP = 2, ARENA = 3, COUNT = 4 }

// imageAdopt()'s answer; on anything but OK the cache was started over, empty.
export enum ImageAdopt { OK = 0, CHECKSUM = 1, LAYOUT = 2 }
