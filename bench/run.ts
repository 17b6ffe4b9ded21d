// Runs every benchmark (or those named on the command line) one after another, each in its own process so they do not
// disturb each other, and keeps their JSON lines in bench/results/latest.jsonl. Needs `npm run build` first.
import {spawnSync} from 'node:child_process';
import {mkdirSync, readdirSync, writeFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const helpers = new Set(['bench-util.ts', 'run.ts', 'wall-fleet.ts']);
const all = readdirSync(here).filter(name => name.endsWith('.ts') && !helpers.has(name) && !name.startsWith('_')).map(name => name.slice(0, -3));
const wanted = process.argv.slice(2);
const unknown = wanted.filter(name => !all.includes(name));
if (unknown.length > 0) {
	console.error(`unknown benchmark ${unknown.join(', ')}; known: ${all.join(', ')}`);
	process.exit(2);
}

const results: string[] = [];
let failed = 0;
for (const name of wanted.length > 0 ? wanted : all) {
	console.log(`\n=== bench/${name}.ts`);
	const run = spawnSync(process.execPath, ['--import=tsx', `${here}${name}.ts`], {stdio: ['inherit', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024});
	process.stdout.write(run.stdout);
	results.push(...run.stdout.split('\n').filter(line => line.startsWith('{"bench"')));
	if (run.status !== 0) {
		failed++;
		console.error(`bench/${name}.ts exited with ${run.status}`);
	}
}

mkdirSync(`${here}results`, {recursive: true});
writeFileSync(`${here}results/latest.jsonl`, results.join('\n') + '\n');
console.log(`\n${results.length} result lines in bench/results/latest.jsonl`);
process.exit(failed > 0 ? 1 : 0);
