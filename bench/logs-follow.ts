// Benchmark: `krazy-tui logs -f` on a service printing 20 000 lines/s, lines per second received as a ratio to `curl -N`
// on the same stream in the same run, and the follower's peak memory.
import {spawn} from 'node:child_process';
import {startDemoDevice} from '../source/demo/demo-device.js';
import {peakRss, report} from './bench-util.js';

const rate = Number(process.env.BENCH_FLOOD_RATE ?? 20_000);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const warmup = 2;
const demo = await startDemoDevice({hostname: 'bench', extraServices: ['flood'], floodRate: rate});
const cli = new URL('../dist/cli.js', import.meta.url).pathname;

/** Counts newline-ended lines a command prints on stdout after the warm-up, per second, and its peak RSS. */
async function measure(command: string, args: string[], isLine: (line: string) => boolean): Promise<{linesPerSecond: number; peakRssKb: number}> {
	const child = spawn(command, args, {stdio: ['ignore', 'pipe', 'inherit'], env: {...process.env, KRAZY_TUI_CONFIG_DIR: '/nonexistent-krazy-bench'}});
	let counting = false;
	let count = 0;
	let partial = '';
	let peakRssKb = 0;
	child.stdout.on('data', (chunk: Buffer) => {
		const text = partial + chunk.toString('utf8');
		const lines = text.split('\n');
		partial = lines.pop()!;
		if (counting) {
			for (const line of lines) {
				if (isLine(line)) {
					count++;
				}
			}
		}
	});
	const sampler = setInterval(() => {
		peakRssKb = Math.max(peakRssKb, peakRss(child.pid!));
	}, 100);
	await new Promise(resolve => setTimeout(resolve, warmup * 1000));
	counting = true;
	await new Promise(resolve => setTimeout(resolve, seconds * 1000));
	counting = false;
	clearInterval(sampler);
	child.kill('SIGTERM');
	await new Promise(resolve => child.on('close', resolve));
	return {linesPerSecond: count / seconds, peakRssKb};
}

const url = `${demo.baseUrl}/log?path=%2Fuser%2Fflood&stream=stdout`;
const curl = await measure('curl', ['-sN', '-u', `gokrazy:${demo.password}`, '-H', 'Accept: text/event-stream', url], line => line.startsWith('data: flood:'));
const ours = await measure(process.execPath, [cli, 'logs', demo.url, 'flood', '-f', '--stream', 'stdout'], line => line.startsWith('flood:'));
await demo.stop();
const ratio = ours.linesPerSecond / curl.linesPerSecond;
report(`logs -f at ${rate} lines/s vs curl -N (same device, same run, ${seconds} s each)`, [
	{name: 'curl -N: lines received per second', value: curl.linesPerSecond, unit: 'lines/s'},
	{name: 'krazy-tui logs -f: lines received per second', value: ours.linesPerSecond, unit: 'lines/s'},
	{name: 'ratio', value: ratio, unit: 'ratio', goal: '≥ 0.8', pass: ratio >= 0.8},
	{name: 'krazy-tui logs -f: peak memory (VmHWM)', value: ours.peakRssKb / 1024, unit: 'MiB'},
]);
