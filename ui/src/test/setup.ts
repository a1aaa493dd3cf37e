// What jsdom lacks and the window has.
class ResizeObserverStub {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
}

globalThis.ResizeObserver ??= ResizeObserverStub as unknown as typeof ResizeObserver;

// jsdom has no layout: media queries are answered from window.innerWidth/innerHeight, which a
// test may set (`max-height: Npx` and `max-width: Npx`; anything else does not match).
globalThis.matchMedia ??= ((query: string): MediaQueryList => {
  const size = /max-(height|width):\s*(\d+)px/.exec(query);
  return {
    media: query,
    get matches() {
      if (!size) return false;
      const actual = size[1] === 'height' ? window.innerHeight : window.innerWidth;
      return actual <= Number(size[2]);
    },
    onchange: null,
    addEventListener() {},
    removeEventListener() {},
    addListener() {},
    removeListener() {},
    dispatchEvent: () => false,
  } as MediaQueryList;
}) as typeof matchMedia;
