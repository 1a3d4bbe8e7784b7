// Package atomicfile replaces whole files so that a crash leaves either the
// old content or the new, never a mix. It is the one place sightline does
// this; cursor files and preserved sandbox state both go through it.
//
// # Steps
//
// Write replaces path in six steps:
//
//  1. create a temp file "<path>.tmp-<random>" in the same directory
//     (random is 64 random bits in base 36), with O_EXCL and the caller's
//     mode before umask;
//  2. write the new content to it;
//  3. fsync it;
//  4. close it;
//  5. rename it over path;
//  6. fsync the directory, so that the rename itself survives a crash.
//
// Every error of every step is reported; a Sync or Close error is never
// dropped. When a step before the rename fails, the temp file is removed
// and path is left as it was. When only the directory fsync fails, path
// already holds the new content (Write reports replaced) but the rename may
// not survive a crash; what to do then is the caller's choice.
//
// # What survives a crash
//
// After a crash path holds its old content or the new one, never part of
// either. A temp file may be left beside it: nothing reads temp files, and
// RemoveTemps deletes them (callers run it when they start).
//
// # Testing
//
// Every step goes through the FS seam, so a test can make any of them fail
// (atomicfiletest.FS does). OS is the real file system.
//
// # Errors
//
// Errors are not prefixed with the package name: the caller wraps them with
// what it was writing ("cursor: write <path>: ..."). The os errors inside
// name the file and the operation.
package atomicfile
