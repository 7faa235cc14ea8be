// Node.js 20 lacks Promise.withResolvers, which libp2p 3 uses. Every entry point and the test
// runner load this file first (MISSION.md §3). Plain JavaScript so that it loads before tsx.
if (typeof Promise.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers() {
      let resolve
      let reject
      const promise = new this((res, rej) => {
        resolve = res
        reject = rej
      })
      return { promise, resolve, reject }
    }
  })
}
