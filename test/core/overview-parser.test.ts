// Table tests of the overview parsers against the real init's captured JSON and HTML answers.
import test from 'ava';
import {parseHtmlOverview, parseOverview, parseServiceStatus, parseTime, ShapeError} from '../../source/core/overview-parser.js';
import {serviceState} from '../../source/core/device-model.js';
import {readCapture, readCaptureFile} from '../helpers/captures.js';

const json = (name: string): unknown => JSON.parse(readCapture(name).body.toString('utf8'));

test('the JSON overview of a real init parses with every field', t => {
	const overview = parseOverview(json('root-accept-json.txt'));
	t.is(overview.hostname, 'casa');
	t.is(overview.kernel, 'Linux 6.18.44-fc-v669 (x86_64)');
	t.is(overview.services.length, 7);
	t.deepEqual(overview.memory, {total: 25_276_502_016, available: 24_900_648_960});
	t.deepEqual(overview.perm, {dev: '/dev/mmcblk0p4', used: 0, avail: 12_638_248_960, total: 12_638_248_960});
	t.deepEqual(overview.publicAddrs, []);
	t.deepEqual(overview.mountDevices, [{dev: '/mnt/usb', used: 0, avail: 12_638_248_960, total: 12_638_248_960}]);
	const golink = overview.services.find(service => service.path === '/user/golink')!;
	t.deepEqual(golink.args, ['/user/golink', '--sqlitedb=/perm/home/golink/data.db']);
	t.is(golink.pid, 57);
	t.is(golink.startTime?.toISOString(), '2026-11-25T18:28:34.936Z');
	const never = overview.services.find(service => service.path === '/user/stopped')!;
	t.is(never.startTime, null);
	t.is(never.pid, 0);
	t.true(never.stopped);
});

test('the longer overview capture with more addresses parses too', t => {
	const overview = parseOverview(JSON.parse(readCaptureFile('root-json-with-more-addrs.json').toString('utf8')));
	t.true(overview.privateAddrs.length >= 2);
	t.true(overview.services.length > 0);
});

test('service states follow the web UI: stopped, restarting under 5 s, running', t => {
	const status = parseServiceStatus(json('status-golink-json.txt'));
	const started = status.startTime!.getTime();
	t.is(serviceState(status, started + 1000), 'restarting');
	t.is(serviceState(status, started + 6000), 'running');
	t.is(serviceState({...status, stopped: true}, started + 6000), 'stopped');
	t.is(serviceState({...status, startTime: null}, started), 'restarting');
});

test('a service whose program cannot be executed has pid 0 and is not stopped', t => {
	const firstLine = readCaptureFile('status-exec-failure.txt').toString('utf8').split('\n', 1)[0]!;
	const status = parseServiceStatus(JSON.parse(firstLine));
	t.is(status.pid, 0);
	t.false(status.stopped);
	t.is(serviceState(status, status.startTime!.getTime() + 500), 'restarting');
});

test('shapes that are not gokrazy are rejected', t => {
	for (const value of [null, [], {}, {Services: 'x'}, {Services: [{Path: 1}]}, 'text']) {
		t.throws(() => parseOverview(value), {instanceOf: ShapeError});
	}

	t.notThrows(() => parseOverview({Services: null}));
	t.throws(() => parseServiceStatus({Stopped: false}), {instanceOf: ShapeError});
});

test('Go zero time and garbage times are null', t => {
	t.is(parseTime('0001-01-01T00:00:00Z'), null);
	t.is(parseTime('yesterday'), null);
	t.is(parseTime('2026-11-25T10:21:51.199410684+01:00')?.toISOString(), '2026-11-25T09:21:51.199Z');
});

test('the HTML overview gives per-service RSS, the init RSS and the last lines, entities decoded', t => {
	const html = parseHtmlOverview(readCapture('root-html.txt').body.toString('utf8'));
	t.is(html.initRss, Math.round(9.9 * 1024 * 1024));
	t.is(html.rss.get('/user/golink'), Math.round(1.6 * 1024 * 1024));
	t.is(html.rss.get('/gokrazy/ntp'), Math.round(1.5 * 1024 * 1024));
	t.false(html.rss.has('/user/dso'));
	t.deepEqual(html.lastLog.get('/user/golink'), {stdout: 'golink: request 81 served', stderr: 'golink: warning: slow upstream (80)'});
	t.deepEqual(html.lastLog.get('/gokrazy/ntp'), {stderr: '2026/11/25 18:28:34 gokrazy: attempt 0, starting ["/gokrazy/ntp"]'});
	t.deepEqual(html.lastLog.get('/user/stopped'), {});
	t.is(html.lastLog.size, 7);
});
