import { describe, expect, it } from 'vitest';
import { parseFileLine, sizeHint, splitFileLines } from './files.ts';
import { fitBox, humanSize } from './file-display.ts';
import { uploadError } from './upload-request.ts';

const O = 'http://chat.example:8080';
const ID = 'AbCdEfGhIjKlMnOpQrSt_-';

describe('parseFileLine', () => {
  it('takes a URL of this origin naming a file, and decodes the name', () => {
    expect(parseFileLine(`${O}/files/${ID}/screen%20shot.png`, O)).toEqual({
      id: ID,
      name: 'screen shot.png',
      url: `${O}/files/${ID}/screen%20shot.png`,
    });
    expect(parseFileLine(`  ${O}/files/${ID}/r%C3%A9sum%C3%A9.pdf  `, O)?.name).toBe('résumé.pdf');
  });

  it("reads an image's size from the line's fragment, and fetches without it", () => {
    expect(parseFileLine(`${O}/files/${ID}/shot.png#800x400`, O)).toEqual({ id: ID, name: 'shot.png', url: `${O}/files/${ID}/shot.png`, width: 800, height: 400 });
    expect(parseFileLine(`${O}/files/${ID}/shot.png${sizeHint(300, 600)}`, O)).toMatchObject({ width: 300, height: 600 });
    expect(sizeHint(undefined, undefined)).toBe('');
    // A zero size is no size: still the file, its box the default one.
    expect(parseFileLine(`${O}/files/${ID}/shot.png#0x400`, O)).toEqual({ id: ID, name: 'shot.png', url: `${O}/files/${ID}/shot.png` });
    for (const bad of ['#800x', '#x400', '#800x400x1', '#big', '#123456x1']) expect(parseFileLine(`${O}/files/${ID}/shot.png${bad}`, O), bad).toBeNull();
  });

  it('leaves other lines alone', () => {
    const refused = [
      `see ${O}/files/${ID}/a.png`, // not alone on its line
      `${O}/files/${ID}/a.png and more`,
      `https://elsewhere.example/files/${ID}/a.png`, // another origin
      `${O}.evil.example/files/${ID}/a.png`, // an origin that only starts like ours
      `${O}/files/short/a.png`, // not an id
      `${O}/files/${ID}/`, // no name
      `${O}/files/${ID}/meta`, // the description's route
      `${O}/files/${ID}/a/b.png`, // a path below
      `${O}/files/${ID}/a.png?x=1`,
      `${O}/files/${ID}/%E0%A4%A.png`, // broken encoding
      `${O}/files/${ID}`,
      '',
    ];
    for (const line of refused) expect(parseFileLine(line, O), line).toBeNull();
  });
});

describe('splitFileLines', () => {
  const url = `${O}/files/${ID}/a.png`;

  it('is null for a body without a file line', () => {
    expect(splitFileLines('hello', O)).toBeNull();
    expect(splitFileLines(`look at ${url}`, O)).toBeNull();
  });

  it('cuts text and file lines in order', () => {
    expect(splitFileLines(`look\n**here**\n${url}\r\nafter`, O)).toEqual([
      { kind: 'text', text: 'look\n**here**' },
      { kind: 'file', file: { id: ID, name: 'a.png', url } },
      { kind: 'text', text: 'after' },
    ]);
    expect(splitFileLines(`${url}\n${url.replace('a.png', 'b.txt')}`, O)?.map((p) => p.kind)).toEqual(['file', 'file']);
  });

  it('leaves a file URL quoted in a fenced block as text', () => {
    expect(splitFileLines('```\n' + url + '\n```', O)).toBeNull();
    expect(splitFileLines('~~~\n```\n' + url + '\n~~~\n' + url, O)?.map((p) => p.kind)).toEqual(['text', 'file']);
  });
});

describe('humanSize', () => {
  it.each([
    [0, '0 bytes'],
    [1, '1 byte'],
    [1023, '1023 bytes'],
    [1024, '1 KB'],
    [1536, '1.5 KB'],
    [10 * 1024 + 300, '10 KB'],
    [1024 * 1024 - 1, '1 MB'],
    [25 * 1024 * 1024, '25 MB'],
    [1.25 * 1024 ** 3, '1.3 GB'],
  ])('%d bytes reads %s', (n, s) => expect(humanSize(n)).toBe(s));
});

describe('fitBox', () => {
  it('scales down to fit 360×240, keeping the shape', () => {
    expect(fitBox(1920, 1080)).toEqual({ width: 360, height: 203 });
    expect(fitBox(1080, 1920)).toEqual({ width: 135, height: 240 });
    expect(fitBox(720, 480)).toEqual({ width: 360, height: 240 });
  });
  it('never scales up, and keeps at least a pixel', () => {
    expect(fitBox(40, 30)).toEqual({ width: 40, height: 30 });
    expect(fitBox(100000, 1)).toEqual({ width: 360, height: 1 });
  });
  it('gives the default box without dimensions', () => {
    expect(fitBox(undefined, undefined)).toEqual({ width: 360, height: 203 });
    expect(fitBox(0, 10)).toEqual({ width: 360, height: 203 });
  });
});

describe('uploadError', () => {
  it("says the server's sentence, or one of ours", () => {
    expect(uploadError(413, '{"code":"FILE_TOO_LARGE","message":"Files are at most 25 MB."}')).toBe('Files are at most 25 MB.');
    expect(uploadError(413, '<html>nginx</html>')).toBe('The file is too large for this server.');
    expect(uploadError(0, '')).toMatch(/connection/);
    expect(uploadError(502, '')).toMatch(/502/);
  });
});
