// Prints [{password, hash, library}] made by bcryptjs itself (cost 8, as the tutorial signs up):
// passwords around bcryptjs's 72-byte limit, multibyte ones split by it, a NUL byte.
// tests/test_node_hashers.py holds one run's output; regenerate with `node make_hashes.js`.
"use strict";
const bcryptjs2 = require("bcryptjs");
const bcryptjs3 = require("bcryptjs3");

const passwords = [
  "a".repeat(71),
  "a".repeat(72),
  "a".repeat(73),
  "a".repeat(100),
  "a".repeat(71) + "é", // 73 bytes: the limit falls inside "é"
  "é".repeat(36), // 72 bytes
  "é".repeat(50), // 100 bytes
  "🔑".repeat(18) + "!", // 73 bytes
  "日本語のパスワード",
  "nul\u0000inside",
];
if (process.argv[2] === "--lone-surrogate") passwords.push("x\ud800y"); // bcryptjs 2.4.3 crashes on it

const out = [];
for (const password of passwords) {
  out.push({ library: "bcryptjs@2.4.3", password, hash: bcryptjs2.hashSync(password, 8) });
  out.push({ library: "bcryptjs@3.0.3", password, hash: bcryptjs3.hashSync(password, 8) });
}
console.log(JSON.stringify(out, null, 1));
