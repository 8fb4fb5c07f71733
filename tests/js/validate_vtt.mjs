// Strict WebVTT check with the W3C validator's parser (npm webvtt-parser@2.2.0).
// Usage: node validate_vtt.mjs [--mode=chapters|metadata] FILE...
// Prints one JSON object: {"FILE": [{"message", "line", "col"}, ...], ...}
import { readFileSync } from 'node:fs';
import parser from 'webvtt-parser';

const args = process.argv.slice(2);
const modeArg = args.find((a) => a.startsWith('--mode='));
const mode = modeArg ? modeArg.slice('--mode='.length) : undefined;
const result = {};
for (const file of args.filter((a) => !a.startsWith('--'))) {
  const text = readFileSync(file, 'utf8');
  const { errors, cues } = new parser.WebVTTParser().parse(text, mode);
  result[file] = { errors, cues: cues.length };
}
process.stdout.write(JSON.stringify(result));
