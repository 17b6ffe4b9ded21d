// The flashing wizard: source → target (live list) → confirm → write → verify → finish; embeddable (the dashboard's `f`) and standalone.
import os from 'node:os';
import React, {useEffect, useMemo, useReducer, useRef} from 'react';
import {Box, Text, useInput} from 'ink';
import {defaultFlashServices, type FlashServices} from '../../core/flash/flash-services.js';
import {runFlashSession} from '../../core/flash/flash-session.js';
import {usePalette} from '../theme.js';
import {useTerminalSize} from '../terminal-size.js';
import {flashKeys, type FlashIntent} from './flash-keys.js';
import {initialWizardState, selectedDrive, wizardReducer, type WizardAction, type WizardState} from './flash-wizard-state.js';
import {ConfirmStep, FinishStep, ProgressStep, SourceStep, TargetStep} from './wizard-steps.js';

export type FlashWizardProps = {
	onExit: () => void;
	showAll?: boolean;
	initialImage?: string;
	/** The flashing core; the real one unless a host or a test hands in another. */
	services?: FlashServices;
	/** How often the device list is refreshed (default 1 s). */
	surveyIntervalMs?: number;
	/** The home folder `~` stands for (default: the user's). */
	home?: string;
};

function errorText(error: unknown): string {
	return error instanceof Error ? error.message.split('\n', 1)[0] : String(error);
}

/** Runs the chosen flash through the one flash session, its events becoming the wizard's actions. */
async function runJob(state: WizardState, services: FlashServices, signal: AbortSignal, dispatch: React.Dispatch<WizardAction>): Promise<void> {
	const drive = selectedDrive(state);
	if (!drive) {
		dispatch({type: 'failed', message: 'the device is gone; nothing was written'});
		return;
	}

	const source = state.instance ? {instance: state.instance} : (state.image ? {image: state.image} : undefined);
	if (!source) {
		dispatch({type: 'failed', message: `${drive.device.path}: no image chosen`});
		return;
	}

	try {
		await runFlashSession(
			{drive, source, unmount: state.options.unmount, fast: state.options.fast, verify: state.options.verify},
			services,
			// The terminal goes to sudo's password prompt on the sudo step: the wizard reads no keys meanwhile.
			{signal, askSudoPassword: true, onEvent: event => dispatch({type: 'session', event})},
		);
	} catch (error) {
		dispatch({type: 'failed', message: errorText(error)});
	}
}

export function FlashWizard(props: FlashWizardProps) {
	const palette = usePalette();
	const {columns, rows} = useTerminalSize();
	const services = useMemo(() => props.services ?? defaultFlashServices(process.env, os.homedir()), [props.services]);
	const [state, dispatch] = useReducer(wizardReducer, {showAll: props.showAll, initialImage: props.initialImage, home: props.home ?? os.homedir()}, initialWizardState);
	const latest = useRef(state);
	latest.current = state;
	const abort = useRef<AbortController | undefined>(undefined);
	const {onExit} = props;

	useInput((input, key) => {
		dispatch({type: 'key', input, key});
	}, {isActive: state.step !== 'sudo'});

	useEffect(() => {
		let live = true;
		// Prerequisites first: what cannot be built (no gok) or read (a broken instance) is never offered.
		void services.listSources().then(sources => {
			if (live) {
				dispatch({type: 'sources', sources});
			}
		}, () => undefined);
		void services.lastImage().then(path => {
			if (live && path) {
				dispatch({type: 'lastImage', path});
			}
		}, () => undefined);
		return () => {
			live = false;
		};
	}, [services]);

	const request = state.request;
	useEffect(() => {
		if (!request) {
			return;
		}

		if (request.kind === 'exit') {
			abort.current?.abort();
			onExit();
		} else if (request.kind === 'inspect') {
			services.inspectImage(request.path).then(
				image => {
					dispatch({type: 'imageChecked', image});
					// Remembered for next time; a settings file that cannot be written does not stop a flash.
					services.rememberImage(image.path).catch(() => undefined);
				},
				(error: unknown) => dispatch({type: 'imageFailed', message: errorText(error)}),
			);
		} else if (request.kind === 'complete') {
			const partial = request.path;
			services.completePath(partial).then(
				completion => dispatch({type: 'completed', partial, completion}),
				() => undefined,
			);
		} else {
			const controller = new AbortController();
			abort.current = controller;
			void runJob(latest.current, services, controller.signal, dispatch);
		}
		// Each request runs once, by its id.
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [request?.id]);

	useEffect(() => {
		if (state.cancelling) {
			abort.current?.abort();
		}
	}, [state.cancelling]);

	const surveying = state.step === 'target' || state.step === 'confirm';
	const {showAll, image} = state;
	useEffect(() => {
		if (!surveying) {
			return;
		}

		let live = true;
		let busy = false;
		const survey = () => {
			if (busy) {
				return;
			}

			busy = true;
			services.survey({showAll, image: image && {path: image.path, size: image.size}}).then(
				drives => live && dispatch({type: 'drives', drives}),
				(error: unknown) => live && dispatch({type: 'surveyFailed', message: errorText(error)}),
			).finally(() => {
				busy = false;
			});
		};

		survey();
		const timer = setInterval(survey, props.surveyIntervalMs ?? 1000);
		return () => {
			live = false;
			clearInterval(timer);
		};
	}, [surveying, showAll, image, services, props.surveyIntervalMs]);

	useEffect(() => () => abort.current?.abort(), []);

	const drive = selectedDrive(state);
	const except: FlashIntent[] = [];
	if (state.step === 'confirm') {
		except.push(drive?.verdict === 'ok' ? 'next' : 'write');
	}

	const listRows = Math.max(3, rows - 12);
	let body: React.ReactNode;
	switch (state.step) {
		case 'source': {
			body = <SourceStep state={state}/>;
			break;
		}

		case 'target': {
			body = <TargetStep state={state} rows={listRows}/>;
			break;
		}

		case 'confirm': {
			body = <ConfirmStep state={state}/>;
			break;
		}

		case 'finish': {
			body = <FinishStep state={state}/>;
			break;
		}

		default: {
			body = <ProgressStep state={state} width={columns}/>;
		}
	}

	return (
		<Box flexDirection="column">
			<Text bold color={palette.title}>Flash an SD card</Text>
			<Box flexDirection="column" marginY={1}>{body}</Box>
			{state.step === 'sudo' ? null : <Text color={palette.muted} wrap="truncate-end">{flashKeys.contextHints(state.step, except)}</Text>}
		</Box>
	);
}

