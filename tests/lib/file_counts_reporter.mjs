// A node --test reporter that prints, for every test file, how many tests it
// ran ("<count> <file>" per line, at the end), so scripts/lib/test-counts.sh
// can fail a file that ran none. The built-in summary cannot tell: Node 20
// counts a file without tests as one passing test, later versions as none.
export default async function* fileCounts(source) {
  const counts = new Map();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { name, file, details } = event.data;
    if (!file) continue;
    if (!counts.has(file)) counts.set(file, 0);
    // Suites and Node 20's stand-in for a file with no tests are not tests.
    if (details?.type === 'suite' || name === file) continue;
    counts.set(file, counts.get(file) + 1);
  }
  for (const [file, n] of counts) yield `${n} ${file}\n`;
}
