// The history view's keys (1 h / 24 h / 7 d from Prometheus): its table feeds the help overlay, the hint line and the README.
import {keyTable, type KeyBinding} from '../../input/key-table.js';

export type HistoryIntent = 'hour' | 'day' | 'week' | 'next' | 'previous' | 'reload' | 'back';

const bindings: ReadonlyArray<KeyBinding<HistoryIntent, 'history'>> = [
	{intent: 'hour', keys: [{input: '1'}], contexts: ['history'], short: '1 h', description: 'the last hour'},
	{intent: 'day', keys: [{input: '2'}], contexts: ['history'], short: '24 h', description: 'the last 24 hours'},
	{intent: 'week', keys: [{input: '3'}], contexts: ['history'], short: '7 d', description: 'the last 7 days'},
	{intent: 'next', keys: [{input: 'w'}, {key: 'rightArrow'}, {key: 'tab'}], contexts: ['history'], short: 'longer', description: 'the next window (1 h → 24 h → 7 d)'},
	{intent: 'previous', keys: [{key: 'leftArrow'}], contexts: ['history'], short: 'shorter', description: 'the previous window'},
	{intent: 'reload', keys: [{input: 'r'}], contexts: ['history'], short: 'reload', description: 'read it again from Prometheus'},
	{intent: 'back', keys: [{key: 'escape'}, {input: 'q'}, {input: 'H'}], contexts: ['history'], short: 'back', description: 'back to the device list'},
];

export const historyKeys = keyTable(bindings, {sections: [{title: 'History from Prometheus (H)', contexts: ['history']}]});
