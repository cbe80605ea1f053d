import { parseArgs } from 'util';
import { Flag, flagOfField, helpLines, parserOptions } from '../src/cli/flag-table';

// One table per command (src/cli/flag-table.ts): the parser, the help and the flag an error names
// all come from it, so a flag cannot be in one and missing from another.

const FLAGS = [
  { name: 'mesh', type: 'string', value: 'MODE', help: ['the mesh'], fields: ['mesh'] },
  { name: 'cni', type: 'boolean', negatable: true, help: ['CNI on'], fields: ['cni'] },
  { name: 'model', type: 'string', value: '[ID=]MODEL', multiple: true, help: ['a model;', 'repeat it'], fields: ['vllm.model', 'vllm.id'] },
  { name: 'login', type: 'boolean', onlyNegated: true, help: ['no login'] },
  { name: 'a-very-long-flag-name', type: 'string', value: 'VALUE', default: 'x', help: ['long'] },
  { name: 'help', type: 'boolean', short: 'h', help: ['this text'] },
] as const satisfies readonly Flag[];

test('the help shows each flag once, aligned, with negations, short forms and continuation lines', () => {
  expect(helpLines(FLAGS).split('\n')).toEqual([
    '  --mesh MODE            the mesh',
    '  --cni, --no-cni        CNI on',
    '  --model [ID=]MODEL     a model;',
    '                         repeat it',
    '  --no-login             no login',
    '  --a-very-long-flag-name VALUE  long',
    '  -h, --help             this text',
  ]);
});

test('the parser reads every flag of the table, repeated and negated ones too, with its default', () => {
  const { values } = parseArgs({
    args: ['--mesh', 'linkerd', '--no-cni', '--model', 'a/b', '--model', 'c=d/e', '--no-login', '-h'],
    options: parserOptions(FLAGS), allowNegative: true, strict: true,
  });
  expect(values).toEqual({ 'mesh': 'linkerd', 'cni': false, 'model': ['a/b', 'c=d/e'], 'login': false, 'help': true, 'a-very-long-flag-name': 'x' });
  expect(() => parseArgs({ args: ['--unknown'], options: parserOptions(FLAGS), strict: true })).toThrow(/Unknown option '--unknown'/);
});

test('an error about a prop names the flag that sets it', () => {
  const map = flagOfField(FLAGS);
  expect([...map]).toEqual([['mesh', '--mesh'], ['cni', '--cni'], ['vllm.model', '--model'], ['vllm.id', '--model']]);
});
