// The dashboard's entry: configuration problems become one message each, naming their file once.
import test from 'ava';
import {problemText} from '../../source/ui/dashboard-app.js';

test('a problem names its file once, whether or not its message starts with it', t => {
	const file = '/home/me/gokrazy/wreck/config.json';
	t.is(problemText({path: file, message: `${file}: invalid JSON: trailing comma (line 1, column 23)`}), `${file}: invalid JSON: trailing comma (line 1, column 23)`);
	t.is(problemText({path: file, message: 'no HTTP password'}), `${file}: no HTTP password`);
});
