// `require("tunebook/kernel")`: the notebook (tslab) integration. The package's `exports` map names this
// file for Node; it is also a real file because tslab type-checks cells with Node10 lookup (no `exports`).
module.exports = require("./dist/kernel-extensions");
