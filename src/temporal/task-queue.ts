/** The one task queue hakube's worker polls and its workflows are started on. */
export const TASK_QUEUE = 'hakube';
