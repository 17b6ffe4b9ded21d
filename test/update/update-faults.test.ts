// Bad input and faults during an update, each against a real demo device (through a fault-injecting proxy where the fault is on the wire): what is said, and that nothing is switched unless every hash matched.
import {truncate} from 'node:fs/promises';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {runRollback, runUpdate} from '../../source/core/update/update-job.js';
import {UpdateFailure, type UpdateEvent} from '../../source/core/update/update-events.js';
import {bootImage, demoCmdline, demoSbom, mbrImage, sbomJson, writeDemoArchive, writeGaf, writeRootImage, type DemoBuild} from '../../source/demo/demo-build.js';
import {goArch} from '../../source/demo/go-format.js';
import {demoJson} from '../helpers/demo-device.js';
import {startFaultProxy} from './fault-proxy.js';
import {quick, startUpdateBench, tempDir, type UpdateBench} from './update-helpers.js';

const sbomOf = async (bench: UpdateBench) => (await demoJson<{SBOMHash: string}>(bench.device, '/')).SBOMHash;

/** The device still runs what it ran, and its next boot is the same partition. */
async function untouched(t: ExecutionContext, bench: UpdateBench, sbom: string, cmdline: string | undefined): Promise<void> {
	t.is(await sbomOf(bench), sbom, 'still the old build');
	t.is(await bench.device.updates.readCmdline(), cmdline, 'cmdline.txt not switched');
}

async function expectFailure(t: ExecutionContext, job: Promise<unknown>): Promise<UpdateFailure> {
	const error = await t.throwsAsync(job, {instanceOf: UpdateFailure});
	t.false(error.message.includes('\n'), 'one line');
	return error;
}

test('a device without /update/features: refused before anything is sent', async t => {
	const bench = await startUpdateBench(t);
	const proxy = await startFaultProxy(t, bench.device.baseUrl, {notFound: ['/update/features']});
	const sbom = await sbomOf(bench);
	const error = await expectFailure(t, runUpdate({...bench, target: {...bench.target, url: proxy.url}, archive: bench.archives.good, onEvent() {}, ...quick}));
	t.regex(error.message, /^casa: 127\.0\.0\.1:\d+ has no \/update\/features \(404\): not a gokrazy init that takes updates over HTTP, or one too old; nothing was changed/);
	t.is(error.standing, 'untouched');
	t.false(proxy.requests.some(request => request.startsWith('PUT')));
	await untouched(t, bench, sbom, await bench.device.updates.readCmdline());
});

test('a hash that differs: stopped before the switch; the device still runs (and boots) the old build, and the message says so', async t => {
	const bench = await startUpdateBench(t);
	const proxy = await startFaultProxy(t, bench.device.baseUrl, {flip: {path: '/update/root', offset: 100}});
	const sbom = await sbomOf(bench);
	const cmdline = await bench.device.updates.readCmdline();
	const error = await expectFailure(t, runUpdate({...bench, target: {...bench.target, url: proxy.url}, archive: bench.archives.good, onEvent() {}, ...quick}));
	t.regex(error.message, /^casa: the device's hash of root \([0-9a-f]{16}…\) differs from what krazy-tui sent \([0-9a-f]{16}…\); nothing was switched: it still runs build .* and boots it again$/);
	t.false(error.switched);
	t.false(proxy.requests.includes('POST /update/switch'));
	t.false(proxy.requests.includes('PUT /update/boot'), 'nothing after the root was sent');
	await untouched(t, bench, sbom, cmdline);
	const rollback = await expectFailure(t, runRollback({...bench, onEvent() {}, ...quick}));
	t.regex(rollback.message, /wrote the inactive root partition but did not finish/, 'the half-written partition is no rollback target');
});

test('the connection dropping during the push: nothing switched, said so with how far it got', async t => {
	const bench = await startUpdateBench(t);
	const proxy = await startFaultProxy(t, bench.device.baseUrl, {drop: {path: '/update/boot', afterBytes: 30_000}});
	const sbom = await sbomOf(bench);
	const cmdline = await bench.device.updates.readCmdline();
	const error = await expectFailure(t, runUpdate({...bench, target: {...bench.target, url: proxy.url}, archive: bench.archives.good, onEvent() {}, ...quick}));
	t.regex(error.message, /^casa: connection to 127\.0\.0\.1:\d+ dropped during the boot push at \d+ of 65536 bytes .*; nothing was switched and it still runs build .*, but its boot partition was already rewritten: run the update again before it reboots$/);
	t.is(error.standing, 'pushed');
	t.false(proxy.requests.includes('POST /update/switch'));
	t.is(await sbomOf(bench), sbom);
	t.is(await bench.device.updates.readCmdline(), cmdline, 'the cut boot write did not reach cmdline.txt');
});

test('an archive for another architecture is refused before anything is sent', async t => {
	const bench = await startUpdateBench(t);
	const dir = await tempDir(t);
	const foreign = goArch() === 'arm64' ? 'riscv64' : 'arm64';
	const file = path.join(dir, 'foreign.gaf');
	await writeDemoArchive({file, hostname: 'casa', diskId: bench.device.updates.diskId, build: {buildTimestamp: '2031-01-01T00:00:00Z', arch: foreign, services: [{path: '/user/golink'}]}});
	const proxy = await startFaultProxy(t, bench.device.baseUrl);
	const error = await expectFailure(t, runUpdate({...bench, target: {...bench.target, url: proxy.url}, archive: file, onEvent() {}, ...quick}));
	t.is(error.message.split(';')[0], `casa: the archive is for ${foreign}, the device runs ${goArch()}`);
	t.false(proxy.requests.some(request => request.startsWith('PUT')));
});

test('an archive that is not a gaf: one line naming the device, the file and the cause; nothing sent', async t => {
	const bench = await startUpdateBench(t);
	const error = await expectFailure(t, runUpdate({...bench, archive: path.join(bench.configDir, 'missing.gaf'), onEvent() {}, ...quick}));
	t.regex(error.message, /^casa: archive .*missing\.gaf: cannot read the archive \(ENOENT\); nothing was changed; it runs build /);
});

/** A gaf whose root image lacks its end: it pushes (and hashes) fine, but does not boot. */
async function unbootableArchive(t: ExecutionContext, bench: UpdateBench): Promise<string> {
	const dir = await tempDir(t);
	const services = [{path: '/user/golink'}];
	const build: DemoBuild = {buildTimestamp: '2031-01-01T00:00:00Z', arch: goArch(), services, sbomHash: demoSbom(services, 'casa').sbom_hash};
	const rootFile = path.join(dir, 'root.img');
	await writeRootImage(rootFile, build, 64 * 1024);
	await truncate(rootFile, 32 * 1024);
	const file = path.join(dir, 'broken.gaf');
	await writeGaf(file, {mbr: mbrImage(bench.device.updates.diskId), boot: bootImage(demoCmdline(bench.device.updates.diskId, 2)), rootFile, sbom: sbomJson(demoSbom(services, 'casa'))});
	return file;
}

test('a device that never comes back: said so after the timeout, with what testboot would have done', async t => {
	const bench = await startUpdateBench(t);
	const archive = await unbootableArchive(t, bench);
	const error = await expectFailure(t, runUpdate({...bench, archive, onEvent() {}, ...quick, waitTimeoutMs: 3000}));
	t.is(error.phase, 'wait');
	t.regex(error.message, /^casa: did not come back within 0\.1 min after the reboot \(last: connection refused by .*\); with --testboot, a build that fails to boot would have fallen back to the previous one by itself/);
	t.like(await bench.records.last('casa'), {state: 'not-back'});
});

test('with --testboot the same unbootable build falls back by itself: the old build comes back, and the failure says so', async t => {
	const bench = await startUpdateBench(t);
	const sbom = await sbomOf(bench);
	const archive = await unbootableArchive(t, bench);
	const error = await expectFailure(t, runUpdate({...bench, archive, testboot: true, onEvent() {}, ...quick}));
	t.regex(error.message, /came back with build .*, not the expected build .*\(the test boot fell back to the previous build, as it should when the new one does not boot\)/);
	t.is(await sbomOf(bench), sbom);
});

/** Runs an update that is cancelled when `when` first sees an event; returns the failure. */
async function cancelledAt(t: ExecutionContext, bench: UpdateBench, when: (event: UpdateEvent) => boolean): Promise<UpdateFailure> {
	const controller = new AbortController();
	return expectFailure(t, runUpdate({
		...bench,
		archive: bench.archives.good,
		signal: controller.signal,
		onEvent(event) {
			if (when(event)) {
				controller.abort();
			}
		},
		...quick,
		settleMs: 10_000,
	}));
}

test('Ctrl-C at every phase stops at once and says where the device stands', async t => {
	const bench = await startUpdateBench(t, {update: {writeBytesPerSecond: 200 * 1024}});
	const original = await sbomOf(bench);
	const atCheck = await cancelledAt(t, bench, event => event.type === 'plan');
	t.regex(atCheck.message, /^casa: cancelled during check; nothing was changed; it runs build /);
	const atPush = await cancelledAt(t, bench, event => event.type === 'push');
	t.regex(atPush.message, /^casa: cancelled during push; nothing was switched: it still runs build .* and boots it again$/);
	t.is(await sbomOf(bench), original);
	bench.device.updates.writeBytesPerSecond = undefined;
	const atSwitch = await cancelledAt(t, bench, event => event.type === 'switched');
	t.regex(atSwitch.message, /^casa: cancelled during switch; it was switched to the new build but NOT rebooted: it runs build .* until its next reboot, which starts the new build$/);
	t.true(atSwitch.switched);
	const atWait = await cancelledAt(t, bench, event => event.type === 'wait');
	t.regex(atWait.message, /^casa: cancelled during wait; it was told to reboot into the new build and has not been seen back$/);
	await new Promise(resolve => setTimeout(resolve, 2000));
	const atGate = await cancelledAt(t, bench, event => event.type === 'gate');
	t.regex(atGate.message, /^casa: cancelled during gate; it runs build /);
	t.is(atGate.standing, 'rebooted');
});
