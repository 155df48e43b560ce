console.log('probe-monitor: not built yet')
