// The CommonJS face of statsfs/prom-client, bundled by scripts/build-cjs.mjs into
// dist/cjs/prom-client.cjs: the ES module's exports, plus prom-client's live `contentType`
// property (reading it gives the global registry's content type, assigning it sets it).
const api = require("../src/prom-client/index.ts");

const out = {};
for (const name of Object.keys(api)) if (name !== "contentType") out[name] = api[name];
Object.defineProperty(out, "contentType", {
  configurable: false,
  enumerable: true,
  get() {
    return out.register.contentType;
  },
  set(value) {
    out.register.setContentType(value);
  },
});
module.exports = out;
