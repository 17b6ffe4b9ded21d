// Runs every benchmark (or those named on the command line) one after another, each in its own process so they do not
// disturb each other, and keeps what they print as JSON in bench/results/<today>.json (tracked): the benches run now
// replace their entries, the others are carried from the newest earlier results file with their own date. Then
// `npm run readme-figures` puts the figures into the README. Needs `npm run build` first.
import {spawnSync} from 'node:child_process';
import {mkdirSync, readdirSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import {fileURLToPath} from 'node:url';
import {latestResultsFile, readResults, resultsDir, type ResultsFile} from './figures.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const helpers = new Set(['bench-util.ts', 'figures.ts', 'run.ts', 'wall-fleet.ts']);
const all = readdirSync(here).filter(name => name.endsWith('.ts') && !helpers.has(name) && !name.startsWith('_')).map(name => name.slice(0, -3));
const wanted = process.argv.slice(2);
const unknown = wanted.filter(name => !all.includes(name));
if (unknown.length > 0) {
	console.error(`unknown benchmark ${unknown.join(', ')}; known: ${all.join(', ')}`);
	process.exit(2);
}

const today = new Date().toISOString().slice(0, 10);
mkdirSync(resultsDir, {recursive: true});
const previous = latestResultsFile();
const results: ResultsFile = {
	date: today,
	machine: `${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.type()} ${os.release()}`,
	benches: previous ? readResults(previous).benches : {},
};
let failed = 0;
for (const name of wanted.length > 0 ? wanted : all) {
	const load = os.loadavg()[0]!;
	console.log(`\n=== bench/${name}.ts (load average ${os.loadavg().map(value => value.toFixed(1)).join(' ')})`);
	const run = spawnSync(process.execPath, ['--import=tsx', `${here}${name}.ts`], {stdio: ['inherit', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024});
	process.stdout.write(run.stdout);
	const lines = run.stdout.split('\n').filter(line => line.startsWith('{"bench"')).map(line => JSON.parse(line) as unknown);
	if (run.status !== 0 || lines.length === 0) {
		failed++;
		console.error(`bench/${name}.ts exited with ${run.status}${lines.length === 0 ? ' and printed no result' : ''}; its earlier results are kept`);
		continue;
	}

	results.benches[name] = {date: today, lines, load: Math.round(load * 10) / 10};
}

const file = `${resultsDir}${today}.json`;
writeFileSync(file, JSON.stringify(results, null, '\t') + '\n');
console.log(`\nresults in ${file.slice(here.length - 'bench/'.length)}; \`npm run readme-figures\` puts them into the README`);
process.exit(failed > 0 ? 1 : 0);
