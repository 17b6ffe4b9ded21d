// The per-device tracker on a fake clock: poll results in, snapshots out, with no timer and no network anywhere.
import test from 'ava';
import {DeviceError} from '../../source/core/device-error.js';
import type {DeviceOverview, ServiceStatus} from '../../source/core/device-model.js';
import type {PollResult} from '../../source/core/device-poller.js';
import {targetFromUrl} from '../../source/core/device-target.js';
import {DeviceTracker} from '../../source/core/device-tracker.js';

const minute = 60_000;

function clock(start = 1_000_000) {
	let time = start;
	return {now: () => time, advance(ms: number) {
		time += ms;
	}};
}

function status(path: string, pid: number, startedAgoMs: number, at: number, stopped = false): ServiceStatus {
	return {path, stopped, startTime: new Date(at - startedAgoMs), pid, args: [], diverted: ''};
}

function overview(services: ServiceStatus[], used = 100): DeviceOverview {
	return {
		services, hostname: 'casa', model: 'Pi', kernel: '6.1', buildTimestamp: '', sbomHash: '',
		memory: {total: 1000, available: 1000 - used}, perm: null, privateAddrs: [], publicAddrs: [], mountDevices: [], eeprom: null, permUuid: '',
	};
}

function success(at: number, services: ServiceStatus[], used = 100): PollResult {
	return {ok: true, startedAt: at - 5, at, overview: overview(services, used), html: null, htmlError: null, node: null, nodeExporter: null};
}

function failure(at: number, kind: 'unreachable' | 'auth' = 'unreachable'): PollResult {
	return {ok: false, at, error: new DeviceError('casa', kind, kind === 'auth' ? 'wrong password' : 'connection refused'), consecutiveFailures: 1, nextAttemptInMs: 2000};
}

function tracker(time = clock()) {
	return new DeviceTracker({name: 'casa', target: targetFromUrl('http://10.0.0.2', 'casa'), capacity: 5, crashLoop: {restarts: 3, windowMs: minute}, now: time.now});
}

test('a first answer brings a device online (news), later samples are not news, and the snapshot is kept until a change', t => {
	const time = clock();
	const casa = tracker(time);
	t.is(casa.snapshot().health, 'connecting');
	t.true(casa.applyPoll(success(time.now(), [status('/user/golink', 10, minute, time.now())])));
	const first = casa.snapshot();
	t.is(first.health, 'online');
	t.is(first, casa.snapshot(), 'the same object while nothing changed');
	t.true(Object.isFrozen(first));
	t.deepEqual(first.counts, {running: 1, stopped: 0, restarting: 0, crashLooping: 0});
	time.advance(2000);
	t.false(casa.applyPoll(success(time.now(), [status('/user/golink', 10, minute, time.now())], 200)));
	t.not(casa.snapshot(), first);
	t.deepEqual(casa.snapshot().memoryHistory.values, [100, 200]);
});

test('a device that goes away keeps its last data, stale, with the cause and when it retries', t => {
	const time = clock();
	const casa = tracker(time);
	casa.applyPoll(success(time.now(), [status('/user/golink', 10, minute, time.now())]));
	time.advance(2000);
	t.true(casa.applyPoll(failure(time.now(), 'auth')));
	const away = casa.snapshot();
	t.is(away.health, 'auth');
	t.true(away.stale);
	t.is(away.services.length, 1);
	t.is(away.lastSeen, time.now() - 2000);
	t.is(away.nextAttemptAt, time.now() + 2000);
	t.regex(away.error ?? '', /wrong password/);
});

test('three restarts within the window make a crash loop; the loop ends when the window passes', t => {
	const time = clock();
	const casa = tracker(time);
	for (let pid = 1; pid <= 4; pid++) {
		casa.applyPoll(success(time.now(), [status('/user/crashy', pid, 6000, time.now())]));
		time.advance(10_000);
	}

	t.is(casa.snapshot().services[0]!.state, 'crash-looping');
	t.is(casa.snapshot().services[0]!.restartsInWindow, 3);
	time.advance(2 * minute);
	casa.applyPoll(success(time.now(), [status('/user/crashy', 4, 3 * minute, time.now())]));
	t.is(casa.snapshot().services[0]!.state, 'running');
});

test('a restart the user asked for is not counted as a crash, and its new pid shows as running at once', t => {
	const time = clock();
	const casa = tracker(time);
	casa.applyPoll(success(time.now(), [status('/user/golink', 10, minute, time.now())]));
	t.is(casa.servicePid('/user/golink'), 10);
	t.true(casa.setServiceAction('/user/golink', {kind: 'restart', phase: 'pending', text: 'restarting…', startedAt: time.now(), finishedAt: null}));
	time.advance(1500);
	const fresh = status('/user/golink', 11, 100, time.now());
	casa.adoptServiceStatus('/user/golink', fresh);
	casa.setServiceAction('/user/golink', {kind: 'restart', phase: 'done', text: 'restarted: pid 10 → 11', startedAt: time.now() - 1500, finishedAt: time.now(), pid: 11});
	const golink = casa.snapshot().services[0]!;
	t.is(golink.state, 'running', 'confirmed by the action, not "restarting" for 5 s');
	t.is(golink.status.pid, 11);
	time.advance(2000);
	casa.applyPoll(success(time.now(), [status('/user/golink', 11, 2100, time.now())]));
	t.is(casa.snapshot().services[0]!.restartsInWindow, 0);
	t.false(casa.setServiceAction('/user/none', {kind: 'stop', phase: 'pending', text: 'stopping…', startedAt: 0, finishedAt: null}));
});

test('a reboot is done when the device was seen away and answers again', t => {
	const time = clock();
	const casa = tracker(time);
	casa.applyPoll(success(time.now(), []));
	casa.setPower({kind: 'reboot', phase: 'pending', text: 'rebooting…', startedAt: time.now(), finishedAt: null}, {restart: true});
	time.advance(1000);
	casa.applyPoll(success(time.now(), []));
	t.is(casa.snapshot().power?.phase, 'pending', 'still up: not rebooted yet');
	time.advance(1000);
	casa.applyPoll(failure(time.now()));
	time.advance(5000);
	casa.applyPoll(success(time.now(), []));
	t.is(casa.snapshot().power?.text, 'back after reboot (away 5 s)');
	t.is(casa.snapshot().power?.finishedAt, time.now());
	t.is(casa.snapshot().power?.backAt, time.now());
	t.is(casa.snapshot().power?.awaySince, time.now() - 5000, 'away since the first failed poll after the request');
});

test('no "restarting" for a service just started when first seen, or when its device comes back from a reboot', t => {
	const time = clock();
	const casa = tracker(time);
	// Started 1 s before the first poll: running (nobody saw it restart).
	casa.applyPoll(success(time.now(), [status('/user/golink', 10, 1000, time.now())]));
	t.is(casa.snapshot().services[0]!.state, 'running');
	time.advance(2000);
	casa.applyPoll(failure(time.now()));
	time.advance(5000);
	// Back with a new pid started 1 s ago: the device rebooted, the service did not crash.
	casa.applyPoll(success(time.now(), [status('/user/golink', 11, 1000, time.now())]));
	t.is(casa.snapshot().services[0]!.state, 'running');
	t.is(casa.snapshot().services[0]!.restartsInWindow, 0);
	// A new pid between two answers is a restart this client saw.
	time.advance(2000);
	casa.applyPoll(success(time.now(), [status('/user/golink', 12, 500, time.now())]));
	t.is(casa.snapshot().services[0]!.state, 'restarting');
	t.is(casa.snapshot().services[0]!.restartsInWindow, 1);
});

test('a service gone from the device leaves the list', t => {
	const time = clock();
	const casa = tracker(time);
	casa.applyPoll(success(time.now(), [status('/user/a', 1, minute, time.now()), status('/user/b', 2, minute, time.now())]));
	time.advance(2000);
	casa.applyPoll(success(time.now(), [status('/user/b', 2, minute, time.now())]));
	t.deepEqual(casa.snapshot().services.map(service => service.path), ['/user/b']);
});
