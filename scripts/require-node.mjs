// Run before `npm start` and `npm test`: Awan is built and tested on Node.js 24 LTS only.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(`Awan needs Node.js 24 LTS or newer; this is ${process.version}. Install Node.js 24 (https://nodejs.org, or \`npm install --prefix ~/.local/node-24 node@24\` and put its node_modules/.bin first on PATH).`);
  process.exit(1);
}
