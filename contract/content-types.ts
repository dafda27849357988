// The media type of each file a model version holds, by its extension: the publisher stores objects
// with it and the worker serves them with it.

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  json: 'application/json; charset=utf-8',
  png: 'image/png',
  svg: 'image/svg+xml',
};

/** Anything else (the weight shards) is opaque bytes. */
export const BINARY = 'application/octet-stream';

export const contentTypeOf = (path: string): string =>
  CONTENT_TYPES[path.slice(path.lastIndexOf('.') + 1)] ?? BINARY;
