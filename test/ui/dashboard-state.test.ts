// The dashboard's reducer driven directly by tables of key sequences: navigation, filters, dialogs, logs and effects.
import test from 'ava';
import {dashboardReducer, effectiveDevice, effectiveService, initialDashboardState, lastViewOf, stateForLastView, type DashboardEnv, type DashboardState} from '../../source/ui/dashboard-state.js';
import {dashboardHelpSections} from '../../source/ui/dashboard-keys.js';
import {keySequence} from '../helpers/keys.js';

const devices = ['casa', 'garage', 'attic'];
const services = ['/user/golink', '/user/chatty', '/gokrazy/ntp'];
const matches = (text: string, filter: string) => text.toLowerCase().includes(filter.toLowerCase());

/** Which devices run which services (all of them, unless a test says otherwise). */
let runs: (device: string) => readonly string[] = () => services;

function env(readonly = false, busy: string | null = null): DashboardEnv {
	return {
		devices: (filter, sort) => {
			const shown = devices.filter(name => matches(name, filter));
			return sort === 'name' ? shown.toSorted() : shown;
		},
		services: (device, filter) => runs(device).filter(path => matches(path, filter)),
		readonly,
		pageRows: {devices: 10, services: 10, help: 10},
		log: null,
		busy,
		savePath: (device, path) => `/data/krazy-tui/logs/${device}${path.replaceAll('/', '_')}.log`,
		now: () => 1000,
	};
}

function press(keys: string, options: {readonly?: boolean; busy?: string; from?: Partial<DashboardState>} = {}): DashboardState {
	let state: DashboardState = {...initialDashboardState, ...options.from};
	for (const {input, key} of keySequence(keys)) {
		state = dashboardReducer(state, {type: 'key', input, key, env: env(options.readonly, options.busy)});
	}

	return state;
}

const where = (state: DashboardState) => ({
	screen: state.screen,
	focus: state.focus,
	device: effectiveDevice(state, env()),
	service: state.focus === 'services' || state.screen === 'logs' ? effectiveService(state, env()) : null,
});

const navigation: Array<[string, string, ReturnType<typeof where>]> = [
	['nothing pressed: the first device', '', {screen: 'fleet', focus: 'devices', device: 'casa', service: null}],
	['j and the down arrow move down', 'j<Down>', {screen: 'fleet', focus: 'devices', device: 'attic', service: null}],
	['moving stops at the ends', 'jjjjk<Up><Up><Up>', {screen: 'fleet', focus: 'devices', device: 'casa', service: null}],
	['G and g jump to the ends', 'G', {screen: 'fleet', focus: 'devices', device: 'attic', service: null}],
	['Enter opens the device\'s services', 'j<Enter>', {screen: 'fleet', focus: 'services', device: 'garage', service: '/user/golink'}],
	['Enter on a service opens its log', '<Enter>j<Enter>', {screen: 'logs', focus: 'services', device: 'casa', service: '/user/chatty'}],
	['Tab switches between the lists', '<Tab>', {screen: 'fleet', focus: 'services', device: 'casa', service: '/user/golink'}],
	['q in the services goes back to the devices', '<Enter>q', {screen: 'fleet', focus: 'devices', device: 'casa', service: null}],
	['a filter typed, kept with Enter, narrows the list', '/gar<Enter>', {screen: 'fleet', focus: 'devices', device: 'garage', service: null}],
	['the filter and the open arriving in one chunk, as fast typing does', '<Enter>/ntp\r\r', {screen: 'logs', focus: 'services', device: 'casa', service: '/gokrazy/ntp'}],
	['Esc while typing a filter clears it; the device it narrowed to stays selected', '/gar<Esc>', {screen: 'fleet', focus: 'devices', device: 'garage', service: null}],
	['a kept filter cleared with Esc: the selection stays', '/att<Enter><Esc>', {screen: 'fleet', focus: 'devices', device: 'attic', service: null}],
	['Esc on the device list never quits', '<Esc><Esc><Esc>', {screen: 'fleet', focus: 'devices', device: 'casa', service: null}],
	['] and [ step through the devices, wrapping around', ']]][', {screen: 'fleet', focus: 'devices', device: 'attic', service: null}],
	['] from the services keeps the services in view', '<Enter>]', {screen: 'fleet', focus: 'services', device: 'garage', service: '/user/golink'}],
	['] in the logs: the same service on the next device', '<Enter>j<Enter>]', {screen: 'logs', focus: 'services', device: 'garage', service: '/user/chatty'}],
	['Backspace edits the filter', '/garx<Backspace><Enter>', {screen: 'fleet', focus: 'devices', device: 'garage', service: null}],
	['Esc in the log goes back to the services', '<Enter><Enter><Esc>', {screen: 'fleet', focus: 'services', device: 'casa', service: '/user/golink'}],
];

for (const [name, keys, expected] of navigation) {
	test(`navigation: ${name}`, t => {
		t.deepEqual(where(press(keys)), expected);
	});
}

const effectTypes = (state: DashboardState) => state.effects.map(({effect}) => effect);

const effects: Array<[string, string, {readonly?: boolean; busy?: string}, unknown[], string | null]> = [
	['q on the devices quits', 'q', {}, [{type: 'quit'}], null],
	['Ctrl+C quits from anywhere', '<Enter><Enter><C-c>', {}, [{type: 'quit'}], null],
	['r asks first; y restarts', '<Enter>r', {}, [], 'confirm restart'],
	['r then y: the restart is an effect', '<Enter>ry', {}, [{type: 'serviceAction', device: 'casa', path: '/user/golink', action: 'restart'}], null],
	['r then Enter: yes too', '<Enter>r<Enter>', {}, [{type: 'serviceAction', device: 'casa', path: '/user/golink', action: 'restart'}], null],
	['r then any other key: no', '<Enter>rx', {}, [], null],
	['read-only: r does nothing', '<Enter>r', {readonly: true}, [], null],
	['B wants the name typed: a wrong name keeps asking', 'Bgarage<Enter>', {}, [], 'typed reboot wrong'],
	['B with the name typed reboots', 'Bcasa<Enter>', {}, [{type: 'powerAction', device: 'casa', action: 'reboot'}], null],
	['b opens a shell on the selected device', 'jb', {}, [{type: 'shell', device: 'garage'}], null],
	['R polls now', 'R', {}, [{type: 'refresh', device: 'casa'}], null],
	['W asks where to save, proposing the data folder; Enter saves there', '<Enter><Enter>W', {}, [], 'path'],
	['W then Enter: saved to the proposed file', '<Enter><Enter>W<Enter>', {}, [{type: 'saveLog', file: '/data/krazy-tui/logs/casa_user_golink.log'}], null],
	['W then Esc: nothing saved', '<Enter><Enter>W<Esc>', {}, [], null],
	['c clears the log', '<Enter><Enter>c', {}, [{type: 'clearLog'}], null],
	['Esc never quits, not even twice at the top', '<Esc><Esc>', {}, [], null],
	['q while an action runs asks first', 'q', {busy: 'the restart of /user/golink on casa'}, [], 'quit'],
	['q then y while an action runs: quits', 'qy', {busy: 'the restart of /user/golink on casa'}, [{type: 'quit'}], null],
	['q then any other key while an action runs: stays', 'qn', {busy: 'the restart of /user/golink on casa'}, [], null],
	['Ctrl+C quits at once even while an action runs', '<C-c>', {busy: 'the restart of /user/golink on casa'}, [{type: 'quit'}], null],
	['the palette runs what it is filtered to: reboot asks for the name', ':reboot<Enter>', {}, [], 'typed reboot'],
	['the palette runs a view key: R polls', ':poll<Enter>', {}, [{type: 'refresh', device: 'casa'}], null],
	['the palette in read-only mode offers no action', ':reboot<Enter>', {readonly: true}, [], null],
];

for (const [name, keys, options, expected, dialog] of effects) {
	test(`effects: ${name}`, t => {
		const state = press(keys, options);
		t.deepEqual(effectTypes(state), expected);
		const open = state.dialog === null ? null : state.dialog.kind === "confirm" ? `confirm ${state.dialog.action}` : state.dialog.kind === "typed" ? `typed ${state.dialog.action}${state.dialog.wrong ? " wrong" : ""}` : state.dialog.kind;
		t.is(open, dialog);
	});
}

test('help: ? opens it, arrows scroll it, ? or Esc closes it; f opens the flashing wizard, which takes the keys', t => {
	t.true(press('?').help);
	t.is(press('?jjk').helpOffset, 1);
	t.false(press('??').help);
	t.false(press('?<Esc>').help);
	const flashing = press('f');
	t.is(flashing.screen, 'flash');
	t.is(press('fq').screen, 'flash', 'the wizard has the keys now');
	t.is(press('f', {readonly: true}).screen, 'fleet');
});

test('the message log: every message kept in order with its time, m opens it, Esc closes it, the line clears on a key', t => {
	const state = press('<Enter>rx<Enter>sx');
	t.deepEqual(state.messages.map(message => message.text), ['restart cancelled', 'stop cancelled']);
	t.is(state.messages[0]!.at, 1000);
	t.is(state.notice?.text, 'stop cancelled');
	t.is(press('<Enter>rxj').notice, null, 'a key clears the message line');
	t.is(press('<Enter>rxj').messages.length, 1, 'the log keeps it');
	t.true(press('m').messagesOpen);
	t.false(press('m<Esc>').messagesOpen);
	t.false(press('mm').messagesOpen);
	t.is(press('m<Esc>').screen, 'fleet', 'Esc in the message log closes it, nothing else');
});

test('--readonly: an action key says it is off instead of doing nothing silently', t => {
	const state = press('<Enter>r', {readonly: true});
	t.is(state.dialog, null);
	t.regex(state.notice?.text ?? '', /read-only: restart is off/);
	t.is(state.notice?.tone, 'warn');
	t.is(press('<Enter>j', {readonly: true}).notice, null, 'a movement key is no action');
});

test('sorting: O cycles the order and says which; the palette picks one; the selection stays on its device', t => {
	t.is(press('O').sort, 'name');
	t.is(press('O').notice?.text, 'ordered by name');
	t.is(press('OO').sort, 'state');
	t.is(press('OOOOOO').sort, 'configured');
	t.is(press(':trouble<Enter>').sort, 'trouble');
	// Configured: casa, garage, attic; by name: attic, casa, garage. garage selected stays garage.
	const state = press('jO');
	t.is(effectiveDevice(state, env()), 'garage');
	t.is(effectiveDevice(press('jOj'), env()), 'garage', 'already the last by name');
	t.is(effectiveDevice(press('jOk'), env()), 'casa');
});

test('] in the logs skips the devices that do not run the service and says when none does', t => {
	runs = device => (device === 'garage' ? ['/gokrazy/ntp'] : services);
	t.teardown(() => {
		runs = () => services;
	});
	const moved = press('<Enter>j<Enter>]');
	t.deepEqual(moved.logTarget, {device: 'attic', path: '/user/chatty'});
	runs = device => (device === 'casa' ? services : []);
	const alone = press('<Enter>j<Enter>]');
	t.deepEqual(alone.logTarget, {device: 'casa', path: '/user/chatty'});
	t.is(alone.notice?.text, 'no other device runs /user/chatty');
});

test('help: the keys of the view it is opened from come first', t => {
	t.is(dashboardHelpSections({view: 'services'})[0]!.title, 'Services');
	t.is(dashboardHelpSections({view: 'logs'})[0]!.title, 'Logs');
	t.deepEqual(dashboardHelpSections({view: 'devices'}).slice(0, 2).map(section => section.title), ['Devices', 'Device and service lists']);
	t.is(dashboardHelpSections()[0]!.title, 'Everywhere');
});

test('the last device and view: remembered from where the user left, reopened only when that device is still there', t => {
	const inLogs = press('j<Enter>j<Enter>');
	const last = lastViewOf(inLogs, env());
	t.deepEqual(last, {view: 'logs', device: 'garage', service: '/user/chatty'});
	const reopened = stateForLastView(last, devices);
	t.deepEqual(where(reopened), {screen: 'logs', focus: 'services', device: 'garage', service: '/user/chatty'});
	t.deepEqual(lastViewOf(press('jj<Enter>j'), env()), {view: 'services', device: 'attic', service: '/user/chatty'});
	t.deepEqual(lastViewOf(press('j'), env()), {view: 'devices', device: 'garage', service: null});
	t.is(stateForLastView({view: 'logs', device: 'gone', service: '/user/x'}, devices), initialDashboardState);
	t.is(stateForLastView(null, devices), initialDashboardState);
});
