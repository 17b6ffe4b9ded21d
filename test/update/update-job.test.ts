// Update and rollback jobs against a real demo device: push with hashes, switch, reboot, the way back, the health gate, records, and the refusals.
import test from 'ava';
import {runRollback, runUpdate} from '../../source/core/update/update-job.js';
import {UpdateFailure, type UpdateEvent} from '../../source/core/update/update-events.js';
import {demoJson} from '../helpers/demo-device.js';
import {makeSelfSigned} from '../helpers/self-signed.js';
import {eventLog, quick, startUpdateBench} from './update-helpers.js';

const overview = (device: {baseUrl: string; password: string}) => demoJson<{BuildTimestamp: string; SBOMHash: string; Services: Array<{Path: string}>}>(device, '/');

test('a good archive: pushed part by part with hashes compared, switched, rebooted into, gate passed, recorded', async t => {
	const {device, archives, target, records} = await startUpdateBench(t);
	const before = await overview(device);
	const log = eventLog();
	let planned: Extract<UpdateEvent, {type: 'plan'}>['plan'] | undefined;
	const result = await runUpdate({
		target,
		records,
		archive: archives.good,
		onEvent: log.onEvent,
		...quick,
		async confirm(plan) {
			planned = plan;
			return true;
		},
	});
	t.is(result.to.sbomHash, archives.goodBuild.sbomHash);
	t.is(result.from.sbomHash, before.SBOMHash);
	t.is(result.standing, 'rebooted');
	t.true((result.downtimeSeconds ?? 0) > 0);
	t.deepEqual(planned?.diff, {added: ['github.com/gokrazy/hello'], removed: [], changed: []});
	t.deepEqual(planned?.parts.map(part => part.part), ['root', 'boot', 'mbr']);
	const pushed = log.events.filter(event => event.type === 'pushed').map(event => event.type === 'pushed' && event.part);
	t.deepEqual(pushed, ['root', 'boot', 'mbr']);
	t.true(log.types().includes('switched'));
	const waits = log.events.flatMap(event => (event.type === 'wait' ? [event.state] : []));
	t.true(waits.includes('away'), 'seen away during the reboot');
	t.is(waits.at(-1), 'back');
	t.true(result.services.every(row => row.ok));
	t.truthy(result.services.find(row => row.path === '/user/hello' && row.before === null && row.after !== null));
	t.is((await overview(device)).SBOMHash, archives.goodBuild.sbomHash);
	const record = await records.last('casa');
	t.like(record, {kind: 'update', state: 'rebooted', gate: 'passed', mode: 'switch'});
	t.is(record?.from.sbomHash, before.SBOMHash);
});

test('a bad archive fails the gate with the crash-looping service, its restarts and last stderr line; rollback brings the old build back', async t => {
	const {device, archives, target, records} = await startUpdateBench(t);
	const before = await overview(device);
	const error = await t.throwsAsync(runUpdate({target, records, archive: archives.bad, onEvent() {}, ...quick, settleMs: 4000}), {instanceOf: UpdateFailure});
	t.is(error.phase, 'gate');
	t.true(error.switched);
	t.regex(error.message, /^casa: health gate failed after 4 s: \/user\/golink restarted \d+ times; it runs build .*krazy-tui rollback switches back/);
	const golink = error.extra.rows?.find(row => row.path === '/user/golink');
	t.false(golink?.ok);
	t.true((golink?.restarts ?? 0) > 2);
	t.regex(golink?.lastStderr ?? '', /panic: open \/perm\/home\/golink\/data\.db/);
	t.is((await overview(device)).SBOMHash, archives.badBuild.sbomHash);

	const log = eventLog();
	const back = await runRollback({target, records, onEvent: log.onEvent, ...quick});
	t.is(back.to.sbomHash, before.SBOMHash);
	t.is((await overview(device)).SBOMHash, before.SBOMHash);
	t.true(back.services.every(row => row.ok));
	t.like(await records.last('casa'), {kind: 'rollback', state: 'rebooted', gate: 'passed'});
});

test('rollback is refused with the reason when krazy-tui never updated the device, and nothing is switched', async t => {
	const {device, target, records} = await startUpdateBench(t);
	const cmdline = await device.updates.readCmdline();
	const error = await t.throwsAsync(runRollback({target, records, onEvent() {}, ...quick}), {instanceOf: UpdateFailure});
	t.regex(error.message, /^casa: krazy-tui has no record of updating this device, so nothing says its inactive root partition holds a build that boots/);
	t.is(error.standing, 'untouched');
	t.is(await device.updates.readCmdline(), cmdline);
});

test('--no-reboot pushes and switches only; rollback then says the switch waits for a reboot', async t => {
	const {device, archives, target, records} = await startUpdateBench(t);
	const before = await overview(device);
	const result = await runUpdate({target, records, archive: archives.good, reboot: false, onEvent() {}, ...quick});
	t.is(result.standing, 'switched');
	t.is((await overview(device)).SBOMHash, before.SBOMHash, 'still the old build');
	t.regex((await device.updates.readCmdline())!, /root=PARTUUID=\w+-03 /);
	const error = await t.throwsAsync(runRollback({target, records, onEvent() {}, ...quick}), {instanceOf: UpdateFailure});
	t.regex(error.message, /switched to build .* and not rebooted since; it boots that build at its next reboot/);
});

test('--testboot: the new build is test-booted, and made permanent once the gate passes', async t => {
	const {device, archives, target, records} = await startUpdateBench(t);
	const log = eventLog();
	const result = await runUpdate({target, records, archive: archives.good, testboot: true, onEvent: log.onEvent, ...quick});
	t.true(result.committed);
	t.deepEqual(log.events.flatMap(event => (event.type === 'switched' ? [event.mode] : [])), ['testboot', 'commit']);
	t.regex((await device.updates.readCmdline())!, /root=PARTUUID=\w+-03 .*gokrazy\.switch_on_boot=1/);
	t.like(await records.last('casa'), {state: 'rebooted', mode: 'testboot', gate: 'passed'});
});

test('declining the plan changes nothing', async t => {
	const {device, archives, target, records} = await startUpdateBench(t);
	const error = await t.throwsAsync(runUpdate({target, records, archive: archives.good, onEvent() {}, confirm: async () => false, ...quick}), {instanceOf: UpdateFailure});
	t.true(error.extra.declined);
	t.regex(error.message, /^casa: not updated \(not confirmed\); nothing was changed/);
	t.is(await records.last('casa'), undefined);
	t.false((await device.updates.readCmdline())!.includes('-03'));
});

test('a TLS device: the plain-HTTP URL redirects to HTTPS, the pinned certificate is trusted, push and the way back go over HTTPS', async t => {
	const certificate = makeSelfSigned('casa');
	const {device, archives, records} = await startUpdateBench(t, {tls: {...certificate, httpRedirectPort: 0}});
	const target = {name: 'casa', url: `http://127.0.0.1:${device.httpRedirectPort}`, password: device.password, certificate: certificate.cert, source: 'gok' as const};
	const result = await runUpdate({target, records, archive: archives.good, onEvent() {}, ...quick});
	t.is(result.to.sbomHash, archives.goodBuild.sbomHash);
	const untrusted = await t.throwsAsync(runUpdate({target: {...target, certificate: makeSelfSigned('other').cert}, records, archive: archives.good, onEvent() {}, ...quick}), {instanceOf: UpdateFailure});
	t.regex(untrusted.message, /^casa: TLS certificate of .* (is not trusted|does not match)/);
});
