// `require("tunebook/kernel")`: the notebook (tslab) integration. A file, not an `exports` subpath,
// because tslab resolves modules the Node10 way.
module.exports = require("./dist/kernel-extensions");
