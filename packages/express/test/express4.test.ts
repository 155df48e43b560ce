import { createRequire } from 'node:module'
import express from 'express'
import { describe, expect, it } from 'vitest'
import { express4 } from './express4-app.ts'
import { expressVersions } from './helpers.ts'

// The adapter's scenarios run against Express 5 and Express 4 alike: every test file that serves
// an app runs its scenarios once per entry of `expressVersions` (helpers.ts). This file checks
// that the second entry really is Express 4. Express 4 does not catch rejected promises from
// handlers, so no shared scenario has an async handler that rejects.

describe('Express 4', () => {
  it('runs on Express 4, not 5', () => {
    const manifest: unknown = createRequire(import.meta.url)('express4/package.json')
    expect((manifest as { version: string }).version).toMatch(/^4\./)
    expect(express4).not.toBe(express)
  })

  it('is one of the versions every shared scenario runs on', () => {
    expect(expressVersions.map((v) => v.version)).toEqual(['Express 5', 'Express 4'])
    expect(expressVersions.map((v) => v.express)).toEqual([express, express4])
  })
})
