// Pre-compresses the embedded static files at build time (npm run build):
// next to each CSS, JavaScript and SVG file, NAME.br (Brotli, quality 11)
// and NAME.gz (gzip, level 9), written only where smaller than the file.
// static.Handler serves them by Accept-Encoding, with Vary. The output
// depends only on the input and Node's zlib, so CI's regenerate-and-diff
// holds. Stale .br/.gz files (a file renamed or removed) are deleted.
"use strict";
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");

const root = path.join(__dirname, "..");
const dirs = [".", "js", "logos"];
const compressible = /\.(css|js|svg)$/;

for (const dir of dirs) {
  const abs = path.join(root, dir);
  for (const name of fs.readdirSync(abs).sort()) {
    const file = path.join(abs, name);
    if (/\.(br|gz)$/.test(name)) {
      if (!fs.existsSync(file.replace(/\.(br|gz)$/, ""))) fs.unlinkSync(file);
      continue;
    }
    if (!compressible.test(name) || !fs.statSync(file).isFile()) continue;
    const data = fs.readFileSync(file);
    const variants = {
      ".br": zlib.brotliCompressSync(data, {
        params: {
          [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
          [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length,
        },
      }),
      ".gz": zlib.gzipSync(data, { level: 9 }),
    };
    for (const [ext, out] of Object.entries(variants)) {
      if (out.length < data.length) fs.writeFileSync(file + ext, out);
      else if (fs.existsSync(file + ext)) fs.unlinkSync(file + ext);
    }
  }
}
