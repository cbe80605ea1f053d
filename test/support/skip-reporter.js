// One line per skipped test in the summary jest prints, so a suite that cannot run here (not
// root, no iptables) says so where it is seen, not only in a log scrolled past. A suite that skips
// names its reason in a test title: `cannot run here: <what> (<why>)`.
class SkipReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.testResults.flatMap((file) => file.testResults
      .filter((t) => t.status === 'pending' || t.status === 'skipped' || t.status === 'todo')
      .map((t) => t.title));
    const reasons = [...new Set(skipped.filter((title) => title.startsWith('cannot run here:')))];
    for (const reason of reasons) process.stderr.write(`Skipped: ${reason.slice('cannot run here: '.length)}\n`);
  }
}
module.exports = SkipReporter;
