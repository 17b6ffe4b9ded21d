// The dashboard's reducer driven directly by tables of key sequences: navigation, filters, dialogs, logs and effects.
import test from 'ava';
import {dashboardReducer, effectiveDevice, effectiveService, initialDashboardState, type DashboardEnv, type DashboardState} from '../../source/ui/dashboard-state.js';
import {keySequence} from '../helpers/keys.js';

const devices = ['casa', 'garage', 'attic'];
const services = ['/user/golink', '/user/chatty', '/gokrazy/ntp'];
const matches = (text: string, filter: string) => text.toLowerCase().includes(filter.toLowerCase());

function env(readonly = false): DashboardEnv {
	return {
		devices: filter => devices.filter(name => matches(name, filter)),
		services: (_device, filter) => services.filter(path => matches(path, filter)),
		readonly,
		pageRows: {devices: 10, services: 10, help: 10},
		log: null,
	};
}

function press(keys: string, options: {readonly?: boolean; from?: Partial<DashboardState>} = {}): DashboardState {
	let state: DashboardState = {...initialDashboardState, ...options.from};
	for (const {input, key} of keySequence(keys)) {
		state = dashboardReducer(state, {type: 'key', input, key, env: env(options.readonly)});
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
	['Esc while typing a filter clears it', '/gar<Esc>', {screen: 'fleet', focus: 'devices', device: 'casa', service: null}],
	['Backspace edits the filter', '/garx<Backspace><Enter>', {screen: 'fleet', focus: 'devices', device: 'garage', service: null}],
	['Esc in the log goes back to the services', '<Enter><Enter><Esc>', {screen: 'fleet', focus: 'services', device: 'casa', service: '/user/golink'}],
];

for (const [name, keys, expected] of navigation) {
	test(`navigation: ${name}`, t => {
		t.deepEqual(where(press(keys)), expected);
	});
}

const effectTypes = (state: DashboardState) => state.effects.map(({effect}) => effect);

const effects: Array<[string, string, {readonly?: boolean}, unknown[], string | null]> = [
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
	['W saves the log, c clears it', '<Enter><Enter>Wc', {}, [{type: 'saveLog'}, {type: 'clearLog'}], null],
];

for (const [name, keys, options, expected, dialog] of effects) {
	test(`effects: ${name}`, t => {
		const state = press(keys, options);
		t.deepEqual(effectTypes(state), expected);
		const open = state.dialog === null ? null : state.dialog.kind === 'confirm' ? `confirm ${state.dialog.action}` : `typed ${state.dialog.action}${state.dialog.wrong ? ' wrong' : ''}`;
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
