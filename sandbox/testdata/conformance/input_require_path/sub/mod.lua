return {name = "sub.mod"}
