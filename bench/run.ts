// `npm run bench`: every benchmark section, in one run, each printing its own figures.
// A section is a module exporting `run(): Promise<void>`; adding one is one line here.
// Run one section: `npm run bench -- gateway`.

interface Section {
  readonly name: string;
  readonly load: () => Promise<{ run: () => Promise<void> }>;
}

const sections: Section[] = [
  { name: 'gateway', load: () => import('./gateway.js') },
  { name: 'redaction', load: () => import('./redaction.js') },
  { name: 'redaction-ja', load: () => import('./redaction-ja.js') },
  { name: 'policy', load: () => import('./policy.js') },
  { name: 'audit', load: () => import('./audit.js') },
  { name: 'audit-commit', load: () => import('./audit-commit.js') },
  { name: 'ui', load: () => import('./ui.js') },
];

const only = process.argv.slice(2);
for (const section of sections) {
  if (only.length > 0 && !only.includes(section.name)) continue;
  console.log(`\n=== ${section.name} ===`);
  const { run } = await section.load();
  await run();
}
