// The demo device's update endpoints over real HTTP, as update.go answers: features, PUT with hashes, locks, limits, switch, testboot, and the boot into what was pushed.
import {createHash} from 'node:crypto';
import {existsSync, readFileSync, statSync} from 'node:fs';
import {mkdtemp, open, readFile, rm} from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import test from 'ava';
import {bootImage, demoCmdline, demoSbom, writeRootImage, type DemoBuild} from '../../source/demo/demo-build.js';
import {goArch} from '../../source/demo/go-format.js';
import {basicAuth, demoJson, demoRequest, useDemoDevice, useDemoProcess, waitFor, type DemoDevice} from '../helpers/demo-device.js';

type Answer = {status: number; body: string; at: number};

/** One PUT (or other method) with a byte body on its own connection. */
function send(device: DemoDevice, route: string, body: Buffer, options: {method?: string; headers?: Record<string, string>; password?: string} = {}): Promise<Answer> {
	const url = new URL(route, device.baseUrl);
	return new Promise((resolve, reject) => {
		const request = http.request(url, {
			method: options.method ?? 'PUT',
			agent: false,
			headers: {Authorization: basicAuth(options.password ?? device.password), 'Content-Length': String(body.length), ...options.headers},
		}, response => {
			const chunks: Buffer[] = [];
			response.on('data', (chunk: Buffer) => chunks.push(chunk));
			response.on('end', () => resolve({status: response.statusCode!, body: Buffer.concat(chunks).toString(), at: Date.now()}));
			response.on('error', reject);
		});
		request.on('error', reject);
		request.end(body);
	});
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const overview = (device: DemoDevice) => demoJson<{BuildTimestamp: string; SBOMHash: string; Services: Array<{Path: string}>}>(device, '/');

async function rootImage(t: {teardown(fn: () => Promise<void>): void}, build: Omit<DemoBuild, 'sbomHash'>, size?: number): Promise<{bytes: Buffer; build: DemoBuild}> {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'krazy-root-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	const full: DemoBuild = {...build, sbomHash: demoSbom(build.services, 'casa').sbom_hash};
	await writeRootImage(path.join(dir, 'root.img'), full, size);
	return {bytes: await readFile(path.join(dir, 'root.img')), build: full};
}

async function reboot(device: DemoDevice, fromTimestamp?: string, fromHash?: string): Promise<void> {
	const answer = await demoRequest(device, '/reboot', {method: 'POST'});
	if (answer.status !== 200) {
		throw new Error(`reboot: ${answer.status}`);
	}

	await waitFor(async () => {
		try {
			const now = await overview(device);
			return (fromTimestamp === undefined || now.BuildTimestamp !== fromTimestamp || now.SBOMHash !== fromHash) && device.updates.lastBoot !== undefined;
		} catch {
			return false;
		}
	}, 20_000, 'the device back after the reboot');
}

const cmdline = (device: DemoDevice) => device.updates.readCmdline();

/** The first bytes of a partition file (they are hundreds of MiB, sparse). */
async function head(device: DemoDevice, file: string, length: number): Promise<Buffer> {
	const handle = await open(path.join(device.stateDir, 'disk', file), 'r');
	try {
		const bytes = Buffer.alloc(length);
		await handle.read(bytes, 0, length, 0);
		return bytes;
	} finally {
		await handle.close();
	}
}

test('GET /update/features answers text, or JSON when asked for it; a wrong password is refused before the body', async t => {
	const device = await useDemoDevice(t, {password: 'pw'});
	const text = await demoRequest(device, '/update/features');
	t.is(text.status, 200);
	t.is(text.body.toString(), 'partuuid,updatehash,');
	t.regex(text.headers['content-type'] ?? '', /^text\/plain/);
	const json = await demoRequest(device, '/update/features', {headers: {Accept: 'application/json'}});
	t.deepEqual(JSON.parse(json.body.toString()), {features: 'partuuid,updatehash,', EEPROM: null});
	const denied = await send(device, '/update/root', Buffer.alloc(1024), {password: 'wrong'});
	t.is(denied.status, 401);
	t.is(denied.body, 'invalid username/password\n');
	t.false((await head(device, 'root3.img', 1024)).some(byte => byte !== 0), 'nothing written');
});

test('wrong methods get 400 with update.go\'s texts; unknown update paths and device-specific files 404', async t => {
	const device = await useDemoDevice(t);
	for (const part of ['root', 'boot', 'mbr']) {
		const answer = await send(device, `/update/${part}`, Buffer.alloc(0), {method: 'POST'});
		t.deepEqual([answer.status, answer.body], [400, 'expected a PUT request\n'], part);
	}

	for (const action of ['switch', 'testboot']) {
		const answer = await send(device, `/update/${action}`, Buffer.alloc(0), {method: 'GET'});
		t.deepEqual([answer.status, answer.body], [400, 'expected a POST request\n'], action);
	}

	for (const route of ['/update/device-specific/eeprom.bin', '/update/nope']) {
		const answer = await send(device, route, Buffer.alloc(16));
		t.deepEqual([answer.status, answer.body], [404, '404 page not found\n'], route);
	}
});

test('PUT /update/root writes the inactive partition and answers its SHA-256, or CRC-32 when asked; any other hash name means SHA-256', async t => {
	const device = await useDemoDevice(t);
	const body = Buffer.alloc(300_000);
	for (let index = 0; index < body.length; index++) {
		body[index] = (index * 7919) % 251;
	}

	const answer = await send(device, '/update/root', body);
	t.deepEqual([answer.status, answer.body], [200, sha256(body)]);
	t.true((await head(device, 'root3.img', body.length)).equals(body), 'written to partition 3, the inactive one');
	t.is(statSync(path.join(device.stateDir, 'disk', 'root3.img')).size, 500 * 1024 * 1024, 'a partition keeps its size');
	const crc = await send(device, '/update/boot', body, {headers: {'X-Gokrazy-Update-Hash': 'crc32'}});
	t.is(crc.body, (zlib.crc32(body) >>> 0).toString(16).padStart(8, '0'));
	const other = await send(device, '/update/mbr', body.subarray(0, 512), {headers: {'X-Gokrazy-Update-Hash': 'md5'}});
	t.is(other.body, sha256(body.subarray(0, 512)));
});

test('a body larger than the partition is written up to its end, then answered 500 "no space left on device"', async t => {
	const device = await useDemoDevice(t, {update: {rootPartitionBytes: 64 * 1024}});
	const answer = await send(device, '/update/root', Buffer.alloc(200 * 1024, 1));
	t.is(answer.status, 500);
	t.is(answer.body, 'write /dev/mmcblk0p3: no space left on device\n');
	const partition = await readFile(path.join(device.stateDir, 'disk', 'root3.img'));
	t.is(partition.length, 64 * 1024);
	t.true(partition.every(byte => byte === 1), 'filled to its end');
});

test('one request at a time per endpoint: a second PUT waits for the first; boot and switch do not wait for each other', async t => {
	const device = await useDemoDevice(t, {update: {writeBytesPerSecond: 1024 * 1024}});
	const first = send(device, '/update/root', Buffer.alloc(400 * 1024, 1));
	await new Promise(resolve => setTimeout(resolve, 50));
	const secondStart = Date.now();
	const second = send(device, '/update/root', Buffer.alloc(1024, 2));
	const [a, b] = await Promise.all([first, second]);
	t.is(a.status, 200);
	t.is(b.status, 200);
	t.true(b.at >= a.at, 'the second is answered after the first');
	t.true(b.at - secondStart > 250, 'the small second PUT waited for the throttled first one');
	t.is((await head(device, 'root3.img', 1))[0], 2, 'the second write came last');
	const slowBoot = send(device, '/update/boot', bootImage(demoCmdline(device.updates.diskId, 2)));
	const switched = await send(device, '/update/switch', Buffer.alloc(0), {method: 'POST'});
	t.is(switched.status, 200);
	t.is((await slowBoot).status, 200);
});

test('switch names the partition inactive at start: twice is once, and it is not a toggle', async t => {
	const device = await useDemoDevice(t, {rebootDowntimeMs: 200});
	const diskId = device.updates.diskId;
	const flashed = (await cmdline(device))!;
	t.regex(flashed, new RegExp(`root=PARTUUID=${diskId}-02 .*oops=panic\n {64}$`), 'gok\'s 64 spaces after the line');
	for (let times = 0; times < 2; times++) {
		t.is((await send(device, '/update/switch', Buffer.alloc(0), {method: 'POST'})).status, 200);
		const text = (await cmdline(device))!;
		t.regex(text, new RegExp(`root=PARTUUID=${diskId}-03 `));
		t.is(text.length, flashed.length, 'rewritten within the recorded size');
	}
});

test('a pushed build boots after switch and reboot: its services, build timestamp and SBOM hash; then switch names the old partition', async t => {
	const device = await useDemoDevice(t, {rebootDowntimeMs: 200, hostname: 'casa'});
	const before = await overview(device);
	t.is(before.SBOMHash, device.build().sbomHash);
	const {bytes, build} = await rootImage(t, {
		buildTimestamp: '2031-01-02T03:04:05Z',
		arch: goArch(),
		services: [{path: '/gokrazy/ntp'}, {path: '/user/golink'}, {path: '/user/hello', program: 'hello'}],
	});
	t.is((await send(device, '/update/root', bytes)).body, sha256(bytes));
	t.is((await send(device, '/update/boot', bootImage(demoCmdline(device.updates.diskId, 2)))).status, 200);
	t.is((await send(device, '/update/switch', Buffer.alloc(0), {method: 'POST'})).status, 200);
	await reboot(device, before.BuildTimestamp, before.SBOMHash);
	const after = await overview(device);
	t.is(after.BuildTimestamp, '2031-01-02T03:04:05Z');
	t.is(after.SBOMHash, build.sbomHash);
	t.deepEqual(after.Services.map(service => service.Path), ['/gokrazy/ntp', '/user/golink', '/user/hello']);
	await waitFor(() => device.services().find(service => service.path === '/user/hello')?.running, 5000, 'hello running');
	t.is((await send(device, '/update/switch', Buffer.alloc(0), {method: 'POST'})).status, 200);
	t.regex((await cmdline(device))!, new RegExp(`root=PARTUUID=${device.updates.diskId}-02 `), 'after booting 3, switch names 2');
});

test('testboot boots the new build once and the old one after that; a build that cannot boot falls back to the old one', async t => {
	const device = await useDemoDevice(t, {rebootDowntimeMs: 200, hostname: 'casa'});
	const first = await overview(device);
	const {bytes} = await rootImage(t, {buildTimestamp: '2031-01-02T03:04:05Z', arch: goArch(), services: [{path: '/gokrazy/ntp'}]});
	await send(device, '/update/root', bytes);
	t.is((await send(device, '/update/testboot', Buffer.alloc(0), {method: 'POST'})).status, 200);
	t.regex((await cmdline(device))!, /oops=panic gokrazy\.try_boot_inactive=1\n {36}$/);
	await reboot(device, first.BuildTimestamp, first.SBOMHash);
	t.is((await overview(device)).BuildTimestamp, '2031-01-02T03:04:05Z', 'the test boot runs the new build');
	t.regex((await cmdline(device))!, /gokrazy\.switch_on_boot=1/);
	await reboot(device, '2031-01-02T03:04:05Z', (await overview(device)).SBOMHash);
	t.is((await overview(device)).BuildTimestamp, first.BuildTimestamp, 'the boot after that is the old build again');

	// A root for another architecture does not boot: the test boot falls back.
	const foreign = await rootImage(t, {buildTimestamp: '2032-01-01T00:00:00Z', arch: goArch() === 'arm64' ? 'amd64' : 'arm64', services: []});
	await send(device, '/update/root', foreign.bytes);
	await send(device, '/update/testboot', Buffer.alloc(0), {method: 'POST'});
	await demoRequest(device, '/reboot', {method: 'POST'});
	await waitFor(() => device.updates.lastBoot?.ok === true && device.updates.lastBoot.fellBackBecause !== undefined, 20_000, 'the fallback boot');
	await waitFor(async () => (await overview(device).catch(() => undefined))?.BuildTimestamp === first.BuildTimestamp, 20_000, 'the old build back');
	t.regex(device.updates.lastBoot?.ok ? device.updates.lastBoot.fellBackBecause ?? '' : '', /for (amd64|arm64), this device is/);
});

test('testboot repeated in one boot cuts the line at its recorded size: the third loses the newline (update.go writes in place)', async t => {
	const device = await useDemoDevice(t);
	const flashed = (await cmdline(device))!;
	for (let times = 1; times <= 3; times++) {
		await send(device, '/update/testboot', Buffer.alloc(0), {method: 'POST'});
		const text = (await cmdline(device))!;
		t.is(text.length, flashed.length);
		t.is(text.includes('\n'), times < 3, `after ${times}`);
	}
});

test('a switch to a partition that holds nothing bootable leaves a device that never comes back', async t => {
	const device = await useDemoDevice(t, {rebootDowntimeMs: 100});
	await send(device, '/update/switch', Buffer.alloc(0), {method: 'POST'});
	await demoRequest(device, '/reboot', {method: 'POST'});
	await waitFor(() => device.updates.lastBoot?.ok === false, 10_000, 'the failed boot');
	t.regex(device.updates.lastBoot?.ok === false ? device.updates.lastBoot.reason : '', /root partition 3: no root file system/);
	await t.throwsAsync(demoRequest(device, '/'), {code: 'ECONNREFUSED'});
});

test('demo --serve --json names a good and a bad update archive, real zips of mbr, boot, root and sbom', async t => {
	const demo = await useDemoProcess(t);
	const line = demo.devices[0] as unknown as {archives: {good: string; bad: string}};
	for (const file of [line.archives.good, line.archives.bad]) {
		t.true(existsSync(file), file);
		const bytes = readFileSync(file);
		t.is(bytes.readUInt32LE(0), 0x04034b50, 'a zip local file header first');
		for (const name of ['mbr.img', 'boot.img', 'root.img', 'sbom.json']) {
			t.true(bytes.includes(Buffer.from(name)), `${name} in ${file}`);
		}
	}
});
