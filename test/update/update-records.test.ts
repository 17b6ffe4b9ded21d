// Update records and the rollback rule, and a fleet rollout's order, stop at the first failure and cancel.
import test from 'ava';
import {runRollout} from '../../source/core/update/fleet-rollout.js';
import {UpdateFailure, type BuildRef, type UpdateResult} from '../../source/core/update/update-events.js';
import {rollbackDecision, UpdateRecords, type UpdateRecord} from '../../source/core/update/update-records.js';
import {tempDir} from './update-helpers.js';

const a: BuildRef = {buildTimestamp: '2030-01-01T00:00:00Z', sbomHash: 'a'.repeat(64)};
const b: BuildRef = {buildTimestamp: '2030-02-01T00:00:00Z', sbomHash: 'b'.repeat(64)};
const record = (state: UpdateRecord['state'], extra: Partial<UpdateRecord> = {}): UpdateRecord =>
	({id: UpdateRecords.newId(), device: 'casa', url: 'http://casa', time: '2030-02-01T00:00:00.000Z', kind: 'update', from: a, to: b, mode: 'switch', state, ...extra});

test('rollback is allowed only when the record says the device runs what the last update left, and how', t => {
	t.like(rollbackDecision('casa', record('rebooted'), b), {ok: true, how: 'switch', to: a});
	t.like(rollbackDecision('casa', record('testboot-running', {mode: 'testboot'}), b), {ok: true, how: 'reboot', to: a});
	const refused: Array<[UpdateRecord | undefined, BuildRef, RegExp]> = [
		[undefined, b, /no record of updating this device/],
		[record('pushing'), a, /wrote the inactive root partition but did not finish/],
		[record('pushed'), a, /did not finish/],
		[record('switched'), a, /not rebooted since; it boots that build at its next reboot/],
		[record('not-back'), b, /never saw the device come back/],
		[record('rebooted'), {buildTimestamp: '2030-03-01T00:00:00Z', sbomHash: 'c'.repeat(64)}, /something else changed it since/],
	];
	for (const [given, running, reason] of refused) {
		const decision = rollbackDecision('casa', given, running);
		t.false(decision.ok);
		t.regex(decision.ok ? '' : decision.reason, reason);
		t.regex(decision.ok ? '' : decision.reason, /^casa: /);
	}
});

test('records are kept per device in the config folder, newest last, replaced by id; the SBOM cache answers by hash', async t => {
	const dir = await tempDir(t);
	const records = new UpdateRecords(dir);
	t.is(await records.last('casa'), undefined);
	const first = record('pushing');
	await records.put(first);
	await records.put(record('rebooted', {device: 'garage'}));
	await records.put({...first, state: 'rebooted'});
	t.like(await records.last('casa'), {id: first.id, state: 'rebooted'});
	t.is((await records.all()).length, 2);
	t.is(await records.sbom('f'.repeat(64)), undefined);
	t.is(await records.sbom('../../etc/passwd'), undefined);
	const sbom = await records.rememberSbom(JSON.stringify({sbom_hash: 'd'.repeat(64), sbom: {go_mod_hashes: [{path: '/i/builddir/example.com/x/go.mod', hash: '1'}]}}));
	t.deepEqual([...(await records.sbom(sbom.hash))!.packages.keys()], ['example.com/x']);
});

const done = (device: string): UpdateResult => ({device, kind: 'update', from: a, to: b, standing: 'rebooted', services: []});

test('a rollout goes one device at a time and stops at the first failure; the rest stay untouched', async t => {
	const started: string[] = [];
	const outcome = await runRollout(['casa', 'garage', 'shed'], async device => {
		started.push(device);
		if (device === 'garage') {
			throw new UpdateFailure(device, 'push', 'garage: wrong password; nothing was changed', 'untouched');
		}

		return done(device);
	});
	t.deepEqual(started, ['casa', 'garage']);
	t.false(outcome.ok);
	t.deepEqual(outcome.rows.map(row => [row.device, row.outcome]), [['casa', 'updated'], ['garage', 'failed'], ['shed', 'untouched']]);
	t.is(outcome.rows[1]!.message, 'garage: wrong password; nothing was changed');
});

test('a cancel during a device marks it cancelled with its standing and starts no other', async t => {
	const controller = new AbortController();
	const outcome = await runRollout(['casa', 'garage', 'shed'], async device => {
		if (device === 'garage') {
			controller.abort();
			throw new UpdateFailure(device, 'switch', 'garage: cancelled during switch; …', 'switched', {cancelled: true});
		}

		return done(device);
	}, controller.signal);
	t.true(outcome.cancelled);
	t.deepEqual(outcome.rows.map(row => [row.device, row.outcome, row.standing]), [['casa', 'updated', 'rebooted'], ['garage', 'cancelled', 'switched'], ['shed', 'untouched', 'untouched']]);
});
