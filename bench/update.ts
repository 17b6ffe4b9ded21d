// Benchmark: update push throughput against curl -T of the same bytes to the same demo endpoint, peak memory pushing a 1 GB archive, and reboot → gate passed against the demo's own reboot time plus the settle time.
import {spawn, type ChildProcess} from 'node:child_process';
import {mkdtemp, rm, statfs} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {bootImage, demoCmdline, demoSbom, mbrImage, sbomJson, writeGaf, writeRootImage, type DemoBuild} from '../source/demo/demo-build.js';
import {goArch} from '../source/demo/go-format.js';
import {median, timeCommand} from './bench-util.js';

const MiB = 1024 * 1024;
const archiveMiB = Number(process.env.BENCH_UPDATE_MIB ?? 1024);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const settleSeconds = Number(process.env.BENCH_UPDATE_SETTLE ?? 5);
const repo = fileURLToPath(new URL('../', import.meta.url));
const cli = path.join(repo, 'dist/cli.js');

type Record = {id: string; label: string; value: number; unit: string; goal: string; ok: boolean};

type Device = {child: ChildProcess; url: string; baseUrl: string; password: string; diskId: string; hostname: string; stop(): Promise<void>};

/** A demo device in its own process (as a real device is not in the client's), with root partitions big enough for the archive. */
async function startDevice(rootBytes: number): Promise<Device> {
	const script = `
		const {startDemoDevice} = await import(${JSON.stringify(path.join(repo, 'source/demo/demo-device.ts'))});
		const device = await startDemoDevice({hostname: 'bench', update: {rootPartitionBytes: ${rootBytes}}});
		process.stdout.write(JSON.stringify({url: device.url, baseUrl: device.baseUrl, password: device.password, diskId: device.updates.diskId}) + '\\n');
		process.on('SIGTERM', async () => { await device.stop(); process.exit(0); });
	`;
	const child = spawn(process.execPath, ['--import=tsx', '--input-type=module', '--eval', script], {cwd: repo, stdio: ['ignore', 'pipe', 'inherit']});
	const line = await new Promise<string>((resolve, reject) => {
		let buffered = '';
		child.stdout!.setEncoding('utf8').on('data', (text: string) => {
			buffered += text;
			if (buffered.includes('\n')) {
				resolve(buffered.slice(0, buffered.indexOf('\n')));
			}
		});
		child.once('exit', code => reject(new Error(`the demo device exited with ${code}`)));
	});
	const info = JSON.parse(line) as Omit<Device, 'child' | 'stop' | 'hostname'>;
	return {
		...info,
		child,
		hostname: 'bench',
		async stop() {
			child.kill('SIGTERM');
			await new Promise(resolve => child.once('exit', resolve));
		},
	};
}

/** A gaf whose root.img is `rootBytes` long (a demo root: manifest, zeros, trailer), and that root.img alone for curl. */
async function makeArchive(dir: string, device: Device, rootBytes: number, stamp: string): Promise<{gaf: string; root: string}> {
	const services = [{path: '/gokrazy/ntp'}, {path: '/user/golink'}, {path: '/user/hello', program: 'hello' as const}];
	const build: DemoBuild = {buildTimestamp: stamp, arch: goArch(), services, sbomHash: demoSbom(services, device.hostname).sbom_hash};
	const root = path.join(dir, `root-${stamp}.img`);
	await writeRootImage(root, build, rootBytes);
	const gaf = path.join(dir, `next-${stamp}.gaf`);
	await writeGaf(gaf, {mbr: mbrImage(device.diskId), boot: bootImage(demoCmdline(device.diskId, 2)), rootFile: root, sbom: sbomJson(demoSbom(services, device.hostname))});
	return {gaf, root};
}

/** `curl -T` of the root image to /update/root: seconds for the whole exchange. */
async function curlPush(device: Device, root: string): Promise<number> {
	const run = await timeCommand('curl', ['-sS', '-o', '/dev/null', '--fail', '-u', `gokrazy:${device.password}`, '-T', root, `${device.baseUrl}/update/root`]);
	if (run.code !== 0) {
		throw new Error(`curl failed with ${run.code}`);
	}

	return run.ms / 1000;
}

type Line = {phase: string; part?: string; bytes?: number; bytesPerSecond?: number; done?: boolean; message?: string};

/** `krazy-tui update --no-reboot --json` with the gaf: the root push's own seconds, and the process's peak memory. */
async function krazyPush(device: Device, gaf: string, env: NodeJS.ProcessEnv): Promise<{seconds: number; peakMiB: number}> {
	const run = await timeCommand(process.execPath, [cli, 'update', device.url, '--gaf', gaf, '--yes', '--json', '--no-reboot'], env);
	const lines = run.stdout.trim().split('\n').map(line => JSON.parse(line) as Line);
	const root = lines.find(line => line.phase === 'push' && line.part === 'root' && line.done);
	if (run.code !== 0 || !root) {
		throw new Error(`update failed: ${lines.find(line => line.phase === 'failed')?.message ?? run.code}`);
	}

	return {seconds: root.bytes! / root.bytesPerSecond!, peakMiB: run.peakRssKb / 1024};
}

/** POST /reboot, then poll until the device answers again: the demo's own reboot time. */
async function demoRebootSeconds(device: Device): Promise<number> {
	const auth = `Basic ${Buffer.from(`gokrazy:${device.password}`).toString('base64')}`;
	const started = performance.now();
	await fetch(`${device.baseUrl}/reboot`, {method: 'POST', headers: {Authorization: auth}}).then(answer => answer.text()).catch(() => undefined);
	let away = false;
	for (;;) {
		try {
			const answer = await fetch(`${device.baseUrl}/`, {headers: {Authorization: auth, Accept: 'application/json'}, signal: AbortSignal.timeout(2000)});
			await answer.text();
			if (away && answer.ok) {
				return (performance.now() - started) / 1000;
			}
		} catch {
			away = true;
		}

		await new Promise(resolve => setTimeout(resolve, 50));
	}
}

/** A full update with --settle: seconds from the reboot line to the done line, as they arrive. */
async function rebootToGate(device: Device, gaf: string, env: NodeJS.ProcessEnv): Promise<number> {
	const child = spawn(process.execPath, [cli, 'update', device.url, '--gaf', gaf, '--yes', '--json', '--settle', String(settleSeconds)], {env, stdio: ['ignore', 'pipe', 'inherit']});
	let buffered = '';
	let rebootAt: number | undefined;
	let doneAt: number | undefined;
	child.stdout.setEncoding('utf8').on('data', (text: string) => {
		const now = performance.now();
		buffered += text;
		let newline = buffered.indexOf('\n');
		while (newline !== -1) {
			const line = JSON.parse(buffered.slice(0, newline)) as Line;
			buffered = buffered.slice(newline + 1);
			if (line.phase === 'reboot') {
				rebootAt ??= now;
			} else if (line.phase === 'done') {
				doneAt = now;
			}

			newline = buffered.indexOf('\n');
		}
	});
	const code = await new Promise<number | null>(resolve => child.on('close', resolve));
	if (code !== 0 || rebootAt === undefined || doneAt === undefined) {
		throw new Error(`update with reboot failed (${code})`);
	}

	return (doneAt - rebootAt) / 1000;
}

function print(title: string, records: Record[]): void {
	console.log(`\n${title}`);
	for (const record of records) {
		console.log(`  ${record.label.padEnd(60)} ${record.value.toFixed(record.unit === 'ratio' ? 2 : 1).padStart(9)} ${record.unit}  (goal ${record.goal})  ${record.ok ? '✓ goal met' : '✗ goal missed'}`);
	}

	console.log(JSON.stringify({bench: title, figures: records}));
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'krazy-bench-update-'));
const free = await statfs(dir);
const needed = archiveMiB * MiB * 4.5;
if (free.bavail * free.bsize < needed) {
	console.error(`bench/update.ts: needs ${Math.ceil(needed / 2 ** 30)} GiB free in ${dir} (BENCH_UPDATE_MIB=${archiveMiB}); set BENCH_UPDATE_MIB lower`);
	process.exit(1);
}

const rootBytes = archiveMiB * MiB;
const device = await startDevice(rootBytes + 64 * MiB);
const env = {...process.env, KRAZY_TUI_CONFIG_DIR: path.join(dir, 'config')};
try {
	const big = await makeArchive(dir, device, rootBytes, '2031-01-01T00:00:00Z');
	const curlSeconds: number[] = [];
	const krazySeconds: number[] = [];
	const peaks: number[] = [];
	// Alternating, so both see the same page cache and disk state.
	for (let round = 0; round < rounds; round++) {
		curlSeconds.push(await curlPush(device, big.root));
		const push = await krazyPush(device, big.gaf, env);
		krazySeconds.push(push.seconds);
		peaks.push(push.peakMiB);
	}

	const curlRate = rootBytes / MiB / median(curlSeconds);
	const krazyRate = rootBytes / MiB / median(krazySeconds);
	const ratio = krazyRate / curlRate;
	await rm(big.gaf);
	await rm(big.root);

	// The way back: small archives, each a new build, so every round reboots into something new.
	const rebootSeconds: number[] = [];
	const gateSeconds: number[] = [];
	for (let round = 0; round < rounds; round++) {
		rebootSeconds.push(await demoRebootSeconds(device));
		const small = await makeArchive(dir, device, 256 * 1024, `2032-01-0${round + 1}T00:00:00Z`);
		gateSeconds.push(await rebootToGate(device, small.gaf, env));
	}

	const overhead = median(gateSeconds) - median(rebootSeconds) - settleSeconds;
	print(`update: ${archiveMiB} MiB root pushed to a demo device in another process, ${rounds} rounds, settle ${settleSeconds} s`, [
		{id: 'update.push.curl', label: 'curl -T root.img to /update/root', value: curlRate, unit: 'MiB/s', goal: 'baseline', ok: true},
		{id: 'update.push.krazy', label: 'krazy-tui update: root push from the gaf (SHA-256 on the way)', value: krazyRate, unit: 'MiB/s', goal: 'see ratio', ok: true},
		{id: 'update.push.ratio', label: 'push throughput ÷ curl -T', value: ratio, unit: 'ratio', goal: '≥ 0.9', ok: ratio >= 0.9},
		{id: 'update.push.peak-rss', label: `peak memory of krazy-tui pushing the ${archiveMiB} MiB archive`, value: Math.max(...peaks), unit: 'MiB', goal: '< 150 MiB', ok: Math.max(...peaks) < 150},
		{id: 'update.reboot.demo', label: 'demo reboot: POST /reboot → answering again', value: median(rebootSeconds), unit: 's', goal: 'baseline', ok: true},
		{id: 'update.reboot.gate', label: `krazy-tui: reboot → gate passed (settle ${settleSeconds} s)`, value: median(gateSeconds), unit: 's', goal: 'see overhead', ok: true},
		{id: 'update.reboot.overhead', label: 'reboot → gate passed − demo reboot − settle', value: overhead, unit: 's', goal: '≤ 2 s', ok: overhead <= 2},
	]);
} finally {
	await device.stop();
	await rm(dir, {recursive: true, force: true});
}

