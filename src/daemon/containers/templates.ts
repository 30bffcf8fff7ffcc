import { TEMPLATE_NAMES, type TemplateName } from '../../contracts/vocabulary.js';

/** Workspace templates: files written into a new container. Keep them small; real projects get cloned. */
export interface Template {
  description: string;
  files: (name: string) => Record<string, string>;
}

export const TEMPLATES = {
  blank: { description: 'An empty workspace.', files: () => ({}) },
  node: {
    description: 'A Node.js project: package.json (ESM), index.js, a test and .gitignore.',
    files: (name: string) => ({
      'package.json': `${JSON.stringify(
        {
          name,
          version: '0.1.0',
          private: true,
          type: 'module',
          main: 'index.js',
          scripts: { start: 'node index.js', test: 'node --test' },
        },
        null,
        2,
      )}\n`,
      'index.js': "process.stdout.write('Hello from Disco\\n');\n",
      'index.test.js':
        "import test from 'node:test';\nimport assert from 'node:assert/strict';\n\ntest('adds', () => {\n  assert.equal(1 + 1, 2);\n});\n",
      '.gitignore': 'node_modules/\n',
      'README.md': `# ${name}\n\nCreated by Disco from the \`node\` template. Run \`npm start\` or \`npm test\`.\n`,
    }),
  },
  python: {
    description: 'A Python project: main.py, a unittest and .gitignore.',
    files: (name: string) => ({
      'main.py': 'def main() -> None:\n    print("Hello from Disco")\n\n\nif __name__ == "__main__":\n    main()\n',
      'test_main.py':
        'import unittest\n\n\nclass MainTest(unittest.TestCase):\n    def test_adds(self) -> None:\n        self.assertEqual(1 + 1, 2)\n\n\nif __name__ == "__main__":\n    unittest.main()\n',
      '.gitignore': '__pycache__/\n.venv/\n',
      'README.md': `# ${name}\n\nCreated by Disco from the \`python\` template. Run \`python3 main.py\`.\n`,
    }),
  },
} as const satisfies Record<TemplateName, Template>;

export { TEMPLATE_NAMES, type TemplateName };
