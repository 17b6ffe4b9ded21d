// The terminal's size as React state, following resizes; tests and screenshots can pin it.
import {useEffect, useState} from 'react';
import {useStdout} from 'ink';

export type TerminalSize = {columns: number; rows: number};

/** Size of Ink's stdout (80×24 when it does not say), updated on 'resize'; `fixed` wins when given. */
export function useTerminalSize(fixed?: TerminalSize): TerminalSize {
	const {stdout} = useStdout();
	const read = (): TerminalSize => ({columns: stdout.columns || 80, rows: stdout.rows || 24});
	const [size, setSize] = useState<TerminalSize>(read);
	useEffect(() => {
		if (fixed) {
			return;
		}

		const onResize = () => {
			setSize(previous => {
				const next = {columns: stdout.columns || 80, rows: stdout.rows || 24};
				return previous.columns === next.columns && previous.rows === next.rows ? previous : next;
			});
		};

		stdout.on('resize', onResize);
		return () => {
			stdout.off('resize', onResize);
		};
	}, [stdout, fixed]);
	return fixed ?? size;
}
