// express4 is Express 4 installed under an alias (devDependency) and ships no types; the
// compatibility tests give it Express's own type in one place (test/express4-app.ts).
declare module 'express4' {
  const express: unknown
  export default express
}
