// Handlebars templates from templates/, compiled once, never HTML-escaped (the output is C).
import * as fs from 'fs';
import * as path from 'path';
import Handlebars from 'handlebars';

import { PACKAGE_ROOT } from '../paths';

export { PACKAGE_ROOT };
const cache = new Map<string, HandlebarsTemplateDelegate>();

export function render(name: string, context: object): string {
  let t = cache.get(name);
  if (!t) {
    const src = fs.readFileSync(path.join(PACKAGE_ROOT, 'templates', name), 'utf8');
    t = Handlebars.compile(src, { noEscape: true, strict: true });
    cache.set(name, t);
  }
  return t(context);
}
