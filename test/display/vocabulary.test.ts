// One vocabulary: every health and state has a distinct mark and its own words, and colour is off the same way everywhere.
import test from 'ava';
import {colorWanted, fleetCounts, healthLook, lookText, stateLook} from '../../source/display/vocabulary.js';
import {textWidth} from '../../source/display/columns.js';

test('each health has a mark of its own, one column wide, and words', t => {
	const marks = Object.values(healthLook).map(look => look.mark);
	t.is(new Set(marks).size, marks.length);
	for (const look of [...Object.values(healthLook), ...Object.values(stateLook)]) {
		t.is(textWidth(look.mark), 1, look.words);
		t.true(look.words.length > 0);
	}

	t.is(lookText(healthLook.auth), '⚷ wrong password');
	t.is(lookText(healthLook.connecting), '◌ connecting');
	t.is(healthLook.tls.tone, 'bad');
	t.is(lookText(stateLook['crash-looping']), '! crash-looping');
});

test('colour is off with NO_COLOR set to anything but empty, or with the mono theme', t => {
	t.false(colorWanted({NO_COLOR: '1'}));
	t.false(colorWanted({NO_COLOR: 'yes'}, 'dark'));
	t.true(colorWanted({NO_COLOR: ''}));
	t.true(colorWanted({}));
	t.false(colorWanted({}, 'mono'));
});

test('the fleet counts separate online, failing and connecting devices', t => {
	const counts = fleetCounts([
		{health: 'online', counts: {crashLooping: 1}},
		{health: 'auth', counts: {crashLooping: 0}},
		{health: 'connecting', counts: {crashLooping: 0}},
		{health: 'tls', counts: {crashLooping: 2}},
	]);
	t.deepEqual(counts, {online: 1, failing: 2, connecting: 1, crashLooping: 3});
});
