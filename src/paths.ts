import * as path from 'path';

/** The package folder (templates/, firmware/, boards/, models/); this file runs from dist/src/. */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');
