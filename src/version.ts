import * as fs from 'fs';
import * as path from 'path';

// package.json sits two levels above dist/src/.
export const VERSION: string = (JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
