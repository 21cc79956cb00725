import * as fs from 'fs';
import * as path from 'path';
import { PACKAGE_ROOT } from './paths';

export const VERSION: string = (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
