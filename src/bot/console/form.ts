import type { HttpRequest } from "../http/route.ts";

/** A file a form sent, as its bytes; browsers send an empty part for a file input left empty. */
export interface FormFile {
  filename: string;
  bytes: Buffer;
}

/** What a plain HTML form posted: its text fields and its files, by field name (the first of a repeated name). */
export interface PostedForm {
  fields: Map<string, string>;
  files: Map<string, FormFile>;
}

/**
 * Reads a form a browser posted without script: `application/x-www-form-urlencoded`,
 * or `multipart/form-data` when the form carries a file. Anything else reads as
 * an empty form, so a handler simply finds its fields missing. The server has
 * already limited the body's size.
 */
export function readForm(request: HttpRequest): PostedForm {
  const type = request.headers["content-type"] ?? "";
  if (type.startsWith("application/x-www-form-urlencoded")) {
    const fields = new Map<string, string>();
    for (const [name, value] of new URLSearchParams(request.body.toString("utf8"))) if (!fields.has(name)) fields.set(name, value);
    return { fields, files: new Map() };
  }
  const boundary = /^multipart\/form-data;.*\bboundary=(?:"([^"]+)"|([^;\s]+))/i.exec(type);
  if (boundary) return multipart(request.body, boundary[1] ?? boundary[2]!);
  return { fields: new Map(), files: new Map() };
}

/** Splits a multipart body at its boundary (RFC 7578); a part without a name, or a malformed one, is skipped. */
function multipart(body: Buffer, boundary: string): PostedForm {
  const form: PostedForm = { fields: new Map(), files: new Map() };
  const delimiter = Buffer.from(`--${boundary}`);
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const partStart = start + delimiter.length;
    // "--" after a delimiter closes the body.
    if (body.subarray(partStart, partStart + 2).toString("latin1") === "--") break;
    const next = body.indexOf(delimiter, partStart);
    if (next === -1) break;
    // Each part is CRLF, headers, CRLF CRLF, content, CRLF, then the next delimiter.
    const part = body.subarray(partStart + 2, next - 2);
    const headerEnd = part.indexOf("\r\n\r\n");
    if (headerEnd !== -1) {
      const headers = part.subarray(0, headerEnd).toString("utf8");
      const content = part.subarray(headerEnd + 4);
      const disposition = /^content-disposition:\s*form-data(.*)$/im.exec(headers)?.[1] ?? "";
      const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1];
      const filename = /;\s*filename="([^"]*)"/i.exec(disposition)?.[1];
      if (name !== undefined) {
        if (filename !== undefined) {
          if (!form.files.has(name)) form.files.set(name, { filename, bytes: Buffer.from(content) });
        } else if (!form.fields.has(name)) {
          form.fields.set(name, content.toString("utf8"));
        }
      }
    }
    start = next;
  }
  return form;
}
