// POMs and maven-metadata.xml must be XML with the right root: an HTML error page answered with 200 is refused
// (502, nothing stored) instead of being cached as a POM.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { BodyStages, CheckInput } from '../../engine/mode.js';
import { xmlRootOf } from './layout.js';
import { settings } from './settings.js';

const MAX_XML = 16 * 1024 * 1024;
const parser = new XMLParser({ ignoreDeclaration: true, ignorePiTags: true, ignoreAttributes: true });

/** the root element of a well-formed document, or null */
export function xmlRoot(text: string): string | null {
  if (XMLValidator.validate(text) !== true) return null;
  const roots = Object.keys(parser.parse(text) as Record<string, unknown>).filter((k) => !k.startsWith('#') && !k.startsWith('?'));
  return roots.length === 1 ? roots[0]!.replace(/^[^:]*:/, '') : null;
}

const notXmlFor = (path: string) => `upstream returned something that is not XML for ${path}`;

/** head check: an HTML page where a POM or maven-metadata.xml belongs is refused before its body is read (or verified) */
export const refuseHtml: NonNullable<BodyStages['admitHead']> = ({ headers }, m) => {
  if (!xmlRootOf(m.path) || m.config.validate_xml === false) return 'store';
  return /^\s*text\/html\b/i.test(headers['content-type'] ?? '') ? { reject: notXmlFor(m.path) } : 'store';
};

export async function checkXml({ open, size, match, ctx }: CheckInput): Promise<string | null> {
  const root = xmlRootOf(match.path);
  if (!root || !settings.of(ctx).validateXml) return null;
  const notXml = notXmlFor(match.path);
  if (size > MAX_XML) return `${notXml} (larger than ${MAX_XML} bytes)`;
  const parts: Buffer[] = [];
  for await (const c of open() as AsyncIterable<Buffer>) parts.push(c);
  const found = xmlRoot(Buffer.concat(parts).toString('utf8'));
  if (found === null) return notXml;
  return found === root ? null : `${notXml} (root <${found}>, expected <${root}>)`;
}
