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

// What the mutation run over overview-parser.ts showed untested: each test below names the rule it pins.

const realHtml = (): string => readCapture('root-html.txt').body.toString('utf8');

/** Replaces one exact piece of the real page, failing loudly when the capture no longer has it. */
function edit(html: string, piece: string, replacement: string): string {
	if (!html.includes(piece)) {
		throw new Error(`the capture has no ${JSON.stringify(piece)}`);
	}

	return html.replace(piece, () => replacement);
}

const realRss = new Map([
	['/gokrazy/ntp', Math.round(1.5 * 1024 * 1024)],
	['/user/golink', Math.round(1.6 * 1024 * 1024)],
	['/user/crasher', Math.round(1.6 * 1024 * 1024)],
	['/user/weird', Math.round(1.4 * 1024 * 1024)],
]);

test('ShapeError is named and says what is missing', t => {
	t.throws(() => parseOverview({Hostname: 'casa'}), {instanceOf: ShapeError, name: 'ShapeError', message: 'not a gokrazy overview (no Services list)'});
	t.throws(() => parseServiceStatus({Path: '/user/golink'}), {instanceOf: ShapeError, name: 'ShapeError', message: 'not a gokrazy service status (no Path/Stopped)'});
});

test('an overview with only Services has empty fields, no perm, no EEPROM: nothing made up', t => {
	t.deepEqual(parseOverview({Services: []}), {
		services: [], hostname: '', model: '', kernel: '', buildTimestamp: '', sbomHash: '', memory: null, perm: null,
		privateAddrs: [], publicAddrs: [], mountDevices: [], eeprom: null, permUuid: '',
	});
});

test('perm is kept when the init sends PermDev or PermTotal alone', t => {
	t.deepEqual(parseOverview({Services: [], PermDev: '/dev/mmcblk0p4'}).perm, {dev: '/dev/mmcblk0p4', used: 0, avail: 0, total: 0});
	t.deepEqual(parseOverview({Services: [], PermTotal: 12_638_248_960}).perm, {dev: '', used: 0, avail: 0, total: 12_638_248_960});
});

test('non-string addresses and args are dropped, an EEPROM object is passed on', t => {
	const real = json('root-accept-json.txt') as {Services: Array<Record<string, unknown>>};
	const golink = real.Services[1]!;
	const eeprom = {PieepromSHA256: '5f1a', VL805SHA256: '9c2b'};
	const overview = parseOverview({
		...real,
		Services: [{...golink, Args: ['/user/golink', 7, null, '--sqlitedb=/perm/home/golink/data.db']}],
		PrivateAddrs: ['127.0.0.1', 1, {}, '::1'],
		EEPROM: eeprom,
	});
	t.deepEqual(overview.services[0]!.args, ['/user/golink', '--sqlitedb=/perm/home/golink/data.db']);
	t.deepEqual(overview.privateAddrs, ['127.0.0.1', '::1']);
	t.deepEqual(overview.eeprom, eeprom);
});

test('an RSS bar is a one-line title "PATH uses N.N MiB RSS": other attributes, no name, no "uses" and odd numbers are not bars', t => {
	let html = edit(realHtml(), 'title="init uses 9.9 MiB RSS"', 'title="init 9.9 MiB RSS"');
	html = edit(html, '<div class="progress-bar" style="width: 100%; overflow:initial;', [
		'<div class="progress-bar" style="width: 0%" aria-label="/user/dso uses 2.0 MiB RSS"></div>',
		'<div class="progress-bar" style="width: 0%" title="/user/ex\nit0 uses 2.0 MiB RSS"></div>',
		'<div class="progress-bar" style="width: 0%" title=" uses 2.0 MiB RSS"></div>',
		'<div class="progress-bar" style="width: 0%" title="/user/stopped uses n/a MiB RSS"></div>',
		'<div class="progress-bar" style="width: 0%" title="/user/late uses 1.5e3 MiB RSS"></div>',
		'<div class="progress-bar" style="width: 0%" title="/user/flood uses -1.5 MiB RSS"></div>',
		'<div class="progress-bar" style="width: 100%; overflow:initial;',
	].join('\n'));
	const overview = parseHtmlOverview(html);
	t.deepEqual(overview.rss, realRss);
	t.is(overview.initRss, null);
});

test('a service link must be the template\'s: extra attributes or markup in the text skip it, padding is trimmed', t => {
	let html = edit(realHtml(), '<a href="/status?path=%2fuser%2fgolink">', '<a href="/status?path=%2fuser%2fgolink" class="svc">');
	html = edit(html, '>/user/crasher</a>', '><b>/user/crasher</b></a>');
	html = edit(html, '>/user/exit0</a>', '>\n/user/exit0\n</a>');
	const {lastLog} = parseHtmlOverview(html);
	t.deepEqual([...lastLog.keys()], ['/gokrazy/ntp', '/user/weird', '/user/dso', '/user/exit0', '/user/stopped']);
	t.deepEqual(lastLog.get('/user/exit0'), {stdout: 'exit0: done, exiting 0', stderr: '2026/11/25 18:28:34 gokrazy: exited successfully, stopping'});
});

test('a cell line is read only from a <small>stdout: </small> or <small>stderr: </small> label', t => {
	let html = edit(realHtml(), '<small>stderr: </small>golink: warning: slow upstream (80)<br/>', '<small>stderr: </small>golink: warning: slow upstream (80)<br/>\n<small>stdin: </small>closed<br/>');
	html = edit(html, '<small>stdout: </small>crasher: starting', '<small class="text-muted">stdout: </small>crasher: starting');
	const {lastLog} = parseHtmlOverview(html);
	t.deepEqual(lastLog.get('/user/golink'), {stdout: 'golink: request 81 served', stderr: 'golink: warning: slow upstream (80)'});
	t.deepEqual(lastLog.get('/user/crasher'), {stderr: '2026/11/25 18:29:14 gokrazy: attempt 10, starting ["/user/crasher"]'});
});

test('a label whose <br/> is not inside its cell reads nothing, even in the last cell (and the scan ends)', t => {
	let html = edit(realHtml(), 'starting [&#34;/gokrazy/ntp&#34;]<br/>', 'starting [&#34;/gokrazy/ntp&#34;]');
	html = edit(html, '<td class="lastlog">\n\n\n</td>', '<td class="lastlog">\n<small>stderr: </small>cut short\n</td>');
	const {lastLog} = parseHtmlOverview(html);
	t.deepEqual(lastLog.get('/gokrazy/ntp'), {});
	t.deepEqual(lastLog.get('/user/golink'), {stdout: 'golink: request 81 served', stderr: 'golink: warning: slow upstream (80)'});
	t.deepEqual(lastLog.get('/user/stopped'), {});
});

test('a last line is cut to a cell\'s worth of decoded characters', t => {
	let html = edit(realHtml(), 'golink: request 81 served<br/>', `${'x'.repeat(9000)}<br/>`);
	html = edit(html, 'golink: warning: slow upstream (80)<br/>', `${'&#34;'.repeat(9000)}<br/>`);
	const golink = parseHtmlOverview(html).lastLog.get('/user/golink');
	t.deepEqual(golink, {stdout: 'x'.repeat(8192), stderr: '"'.repeat(8192)});
});

test('a hostile page that ends inside a link ends the scan with no rows, whatever it starts with', t => {
	t.is(parseHtmlOverview('>x</a><td class="lastlog"></td><a href="/status?path=%2fuser%2fx').lastLog.size, 0);
	t.is(parseHtmlOverview('</a><td class="lastlog"></td><a href="/status?path=%2fuser%2fx">/user/x').lastLog.size, 0);
});
