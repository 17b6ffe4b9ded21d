// Benchmark: `krazy-tui status --json` against the demo device, as a ratio to `node -e "fetch(...)"` doing the same request.
import {startDemoDevice} from '../source/demo/demo-device.js';
import {median, report, timeCommand} from './bench-util.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 21);
const demo = await startDemoDevice({hostname: 'bench'});
const cli = new URL('../dist/cli.js', import.meta.url).pathname;
const authorization = `Basic ${Buffer.from(`gokrazy:${demo.password}`).toString('base64')}`;
const fetchScript = `fetch(${JSON.stringify(`${demo.baseUrl}/`)}, {headers: {Authorization: ${JSON.stringify(authorization)}, Accept: 'application/json', 'Content-Type': 'application/json'}}).then(r => r.json()).then(j => process.stdout.write(JSON.stringify(j)))`;
const env = {...process.env, KRAZY_TUI_CONFIG_DIR: '/nonexistent-krazy-bench', GOKRAZY_PARENT_DIR: '/nonexistent-krazy-bench'};

const ours: number[] = [];
const baseline: number[] = [];
// Warm the file cache for both, then alternate so drift hits both equally.
await timeCommand(process.execPath, [cli, 'status', demo.url, '--json'], env);
await timeCommand(process.execPath, ['-e', fetchScript], env);
for (let round = 0; round < rounds; round++) {
	const a = await timeCommand(process.execPath, [cli, 'status', demo.url, '--json'], env);
	const b = await timeCommand(process.execPath, ['-e', fetchScript], env);
	if (a.code !== 0 || b.code !== 0 || !a.stdout.includes('"online":true')) {
		throw new Error(`a run failed: status exit ${a.code}, fetch exit ${b.code}`);
	}

	ours.push(a.ms);
	baseline.push(b.ms);
}

await demo.stop();
const ratio = median(ours) / median(baseline);
report('status --json vs node -e fetch (same device, same run)', [
	{name: 'krazy-tui status --json, median wall time', value: median(ours), unit: 'ms'},
	{name: 'node -e "fetch(...)" of GET / (JSON), median wall time', value: median(baseline), unit: 'ms'},
	{name: 'ratio', value: ratio, unit: 'ratio', goal: '≤ 1.5', pass: ratio <= 1.5},
]);
